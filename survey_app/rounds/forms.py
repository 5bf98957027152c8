"""Forms of the round administration pages."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.accounts.forms import I18nForm
from survey_app.core.db import utcnow
from survey_app.core.times import from_local
from survey_app.i18n import gettext as _

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (one click each, no Ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(I18nForm):
    """A button that changes something: only the CSRF token."""


def _future(field) -> None:
    if field.data is not None and from_local(field.data) <= utcnow():
        raise ValidationError(_("The closing time must be in the future."))


class RoundForm(I18nForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    criteria_sets = MultiCheckboxField("Criteria sets")
    questionnaire = RadioField("Questionnaire", validators=[InputRequired()])
    opens = DateTimeLocalField("Opens at", format=LOCAL_FORMAT, validators=[Optional()])
    closes = DateTimeLocalField("Closes at", format=LOCAL_FORMAT, validators=[Optional()])
    frame = FileField("Sampling frame", validators=[Optional(), FileAllowed(["csv"])])
    margins = FileField("Population margins", validators=[Optional(), FileAllowed(["csv"])])

    def validate_criteria_sets(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one criteria set."))

    def validate_closes(self, field) -> None:
        if field.data is None:
            return
        if self.opens.data is not None and field.data <= self.opens.data:
            raise ValidationError(_("The round must close after it opens."))
        _future(field)


class ClosingTimeForm(I18nForm):
    """A new closing time: extending an open round or reopening a closed one."""

    closes = DateTimeLocalField(
        "New closing time", format=LOCAL_FORMAT, validators=[InputRequired()]
    )

    def validate_closes(self, field) -> None:
        _future(field)


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
