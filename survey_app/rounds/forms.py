"""Forms of the round administration pages."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from survey_app.accounts.forms import I18nForm


class ActionForm(I18nForm):
    """A button that changes something: only the CSRF token."""


class RoundForm(I18nForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    criteria_sets = SelectMultipleField("Criteria sets", validators=[DataRequired()])
    questionnaire = SelectField("Questionnaire", validators=[DataRequired()])
    opens = DateTimeLocalField("Opens (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes = DateTimeLocalField("Closes (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    frame = FileField(
        "Sampling frame (CSV: stratum,population)", validators=[Optional(), FileAllowed(["csv"])]
    )


class InviteForm(I18nForm):
    respondents = FileField(
        "Respondent list (CSV or XLSX)", validators=[FileRequired(), FileAllowed(["csv", "xlsx"])]
    )
    send = BooleanField("E-mail the invitations now")
    download = BooleanField("Download the links (CSV) now")


class RevokeForm(I18nForm):
    who = StringField("E-mail address or link", validators=[DataRequired(), Length(max=2048)])


class ResponsesForm(I18nForm):
    responses = FileField("Responses (CSV)", validators=[FileRequired(), FileAllowed(["csv"])])


class OpenLinkForm(I18nForm):
    unit = SelectField("Unit", validators=[DataRequired()])
    group = SelectField("Group", validators=[DataRequired()])
