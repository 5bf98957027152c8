"""Forms of the unit pages: uploads and names."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from survey_app.accounts.forms import I18nForm

#: As the model columns (Unit.name_vi, Unit.name_en).
NAME_MAX = 255


class UnitsUploadForm(I18nForm):
    file = FileField("Units (CSV)", validators=[FileRequired(), FileAllowed(["csv"])])


class PreviousUploadForm(I18nForm):
    file = FileField("Previous results (CSV)", validators=[FileRequired(), FileAllowed(["csv"])])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UnitForm(I18nForm):
    name_vi = StringField(
        "Vietnamese name", filters=[_strip], validators=[DataRequired(), Length(max=NAME_MAX)]
    )
    name_en = StringField(
        "English name", filters=[_strip], validators=[DataRequired(), Length(max=NAME_MAX)]
    )
