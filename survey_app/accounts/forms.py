"""Sign-in form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from survey_app.i18n import FormTranslations, get_language


class I18nForm(FlaskForm):
    """Base of every form: WTForms' messages in the request's language (vi or en)."""

    class Meta:
        def get_translations(self, form):
            return FormTranslations(get_language())


class LoginForm(I18nForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])
