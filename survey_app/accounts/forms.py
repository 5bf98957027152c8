"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from survey_app.accounts.passwords import MIN_LENGTH
from survey_app.i18n import FormTranslations, get_language


class I18nForm(FlaskForm):
    """Base of every form: WTForms' messages in the request's language (vi or en)."""

    class Meta:
        def get_translations(self, form):
            return FormTranslations(get_language())


class LoginForm(I18nForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])


def check_new_password(field, password: str | None) -> None:
    """At least :data:`MIN_LENGTH` characters (the web forms and the CLI agree)."""
    if password and len(password) < MIN_LENGTH:
        raise ValidationError(field.gettext("Use at least 12 characters."))


def _new_password() -> PasswordField:
    return PasswordField("New password", validators=[DataRequired(), Length(max=512)])


def _new_password_again() -> PasswordField:
    return PasswordField("New password again", validators=[DataRequired(), Length(max=512)])


class NewPasswordForm(I18nForm):
    """A new password typed twice (the reset page; the base of the change form)."""

    new_password = _new_password()
    new_password_again = _new_password_again()

    def validate_new_password(self, field) -> None:
        check_new_password(field, field.data)

    def validate_new_password_again(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError(field.gettext("The two new passwords are not the same."))


class PasswordChangeForm(NewPasswordForm):
    """Own password: the current one first (declared again so it comes first)."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=512)]
    )
    new_password = _new_password()
    new_password_again = _new_password_again()
