"""Forms of the results pages: asking for a run, publishing a round, withdrawing that."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from survey_app.accounts.forms import I18nForm


class RequestRunForm(FlaskForm):
    """Ask the worker to aggregate the round again."""

    is_final = BooleanField("Final run (the round is closed)")
    exclude_bursts = BooleanField("Leave out responses marked as a burst on an open link")


class PublishForm(FlaskForm):
    """Choose the final run whose figures are published and frozen."""

    version = SelectField("Run to publish", coerce=int, choices=[])

    def set_runs(self, runs) -> None:
        self.version.choices = [
            (r.version, f"v{r.version} · {r.inputs_hash[:12] if r.inputs_hash else ''}")
            for r in runs
            if r.state == "done" and r.is_final
        ]


class UnpublishForm(I18nForm):
    """The reason for withdrawing a publication, kept in the audit trail."""

    reason = TextAreaField(
        "Reason for withdrawing the publication", validators=[DataRequired(), Length(max=2000)]
    )
