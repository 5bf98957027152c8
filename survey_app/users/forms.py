"""Forms of the user administration pages."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField
from wtforms.validators import DataRequired, Length, ValidationError

from survey_app.accounts.forms import I18nForm, check_new_password
from survey_app.accounts.models import ROLES
from survey_app.accounts.queries import ROLE_NAMES
from survey_app.extensions import db
from survey_app.i18n import get_language, gettext
from survey_app.units.models import Unit


class ActionForm(I18nForm):
    """A button that changes something: only the CSRF token."""


class UserForm(I18nForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    role = RadioField("Role", validators=[DataRequired()])
    unit = SelectField("Unit")  # no Optional(): it would skip validate_unit
    password_choice = RadioField("Password", default="generate", validators=[DataRequired()])
    password = PasswordField("Password to give", validators=[Length(max=512)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(r, gettext(ROLE_NAMES[r])) for r in ROLES]
        lang = get_language()
        units = db.session.scalars(select(Unit).order_by(Unit.code))
        self.unit.choices = [("", gettext("No unit"))] + [
            (u.code, f"{u.code} · {u.name(lang)}") for u in units
        ]
        self.password_choice.choices = [
            ("generate", gettext("Generate a password (shown once on the next page)")),
            ("type", gettext("Type a password")),
        ]

    def validate_email(self, field) -> None:
        if "@" not in (field.data or ""):
            raise ValidationError(
                field.gettext("Enter an e-mail address such as name@example.gov.vn.")
            )

    def validate_unit(self, field) -> None:
        if self.role.data == "focal" and not field.data:
            raise ValidationError(field.gettext("A focal point needs a unit: choose one."))
        if self.role.data != "focal" and field.data:
            raise ValidationError(
                field.gettext("Only a focal point belongs to a unit: choose “No unit”.")
            )

    def validate_password(self, field) -> None:
        if self.password_choice.data == "type":
            if not field.data:
                raise ValidationError(field.gettext("Type the password, or let one be generated."))
            check_new_password(field, field.data)


class ResetLinkForm(I18nForm):
    send_email = BooleanField("E-mail the link to the user", default=True)
