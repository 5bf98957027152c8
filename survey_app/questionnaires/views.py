"""Questionnaire upload for admins: YAML or XLSForm."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf.file import FileAllowed, FileField, FileRequired

from survey_app.accounts.auth import require_role
from survey_app.accounts.forms import I18nForm
from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.formats.questionnaire_yaml import parse_questionnaire
from survey_app.formats.xlsform import parse_xlsform
from survey_app.i18n import gettext as _
from survey_app.questionnaires.operations import import_questionnaire

bp = Blueprint(
    "questionnaires", __name__, template_folder="templates", url_prefix="/admin/questionnaires"
)


class QuestionnaireUploadForm(I18nForm):
    file = FileField(
        "Questionnaire (XLSForm .xlsx or YAML)",
        validators=[FileRequired(), FileAllowed(["xlsx", "yaml", "yml"])],
    )


@bp.route("/upload", methods=["GET", "POST"])
@require_role("admin")
def upload():
    form = QuestionnaireUploadForm()
    if not form.validate_on_submit():
        return render_template("questionnaires/upload.html", form=form)
    upload = form.file.data
    data = upload.read()
    try:
        if upload.filename.lower().endswith(".xlsx"):
            spec = parse_xlsform(data, upload.filename)
        else:
            spec = parse_questionnaire(data.decode("utf-8-sig"), upload.filename)
        q = import_questionnaire(spec, upload.filename)
    except (InvalidFile, UnicodeDecodeError) as exc:
        db.session.rollback()
        problems = [str(exc)] + [str(p) for p in getattr(exc, "problems", [])]
        return render_template("questionnaires/upload.html", form=form, problems=problems), 400
    db.session.commit()
    flash(_("Questionnaire {code} imported: {n} items.", code=q.code, n=len(q.items())), "info")
    _flash_kinds(spec)
    return redirect(url_for("rounds.index"), 303)


def _flash_kinds(spec) -> None:
    """Which items are scored, and what the import dropped or ignored (XLSForm)."""
    scored = [i.code for i in spec.items() if i.is_scored]
    other = [f"{i.code} ({i.kind})" for i in spec.items() if not i.is_scored]
    flash(
        _("Scored items (counted in the index): {codes}.", codes=", ".join(scored) or "—"), "info"
    )
    if other:
        flash(_("Stored and exported, not scored: {codes}.", codes=", ".join(other)), "info")
    for warning in spec.warnings:
        flash(warning, "warning")
