"""Forms of the questionnaire pages."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired

from survey_app.accounts.forms import I18nForm


class QuestionnaireUploadForm(I18nForm):
    file = FileField(
        "Questionnaire (XLSForm .xlsx or YAML)",
        validators=[FileRequired(), FileAllowed(["xlsx", "yaml", "yml"])],
    )
