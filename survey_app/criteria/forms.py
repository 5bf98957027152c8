"""Forms of the criteria set pages."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired

from survey_app.accounts.forms import I18nForm


class CriteriaSetUploadForm(I18nForm):
    file = FileField(
        "Criteria set (YAML)", validators=[FileRequired(), FileAllowed(["yaml", "yml"])]
    )
