"""Questionnaires for admins: list, detail, preview as a respondent sees it, upload
(YAML or XLSForm)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from markupsafe import Markup

from survey_app.accounts.auth import restrict
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.limits import decode_text
from survey_app.formats.problems import InvalidFile
from survey_app.formats.questionnaire_yaml import parse_questionnaire
from survey_app.formats.xlsform import parse_xlsform
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.questionnaires import queries
from survey_app.questionnaires.forms import QuestionnaireUploadForm
from survey_app.questionnaires.operations import import_questionnaire
from survey_app.responses.forms import make_section_form
from survey_app.responses.structure import get_form_spec
from survey_app.results.presentation import fmt, group_name

#: Names of the languages a questionnaire may come in (Vietnamese in catalogue.json).
LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}

bp = Blueprint(
    "questionnaires", __name__, template_folder="templates", url_prefix="/admin/questionnaires"
)


restrict(bp, "admin")


@bp.get("/")
def index():
    return render_template(
        "questionnaires/list.html",
        rows=queries.list_questionnaires(),
        language_names=LANGUAGE_NAMES,
    )


@bp.get("/<int:questionnaire_id>")
def detail(questionnaire_id: int):
    q = queries.get_questionnaire(questionnaire_id)
    return render_template(
        "questionnaires/detail.html",
        questionnaire=q,
        rounds=queries.rounds_by_questionnaire().get(q.id, []),
        languages=queries.languages(q),
        groups=queries.group_codes(q),
        group_name=group_name,
        language_names=LANGUAGE_NAMES,
        fmt=fmt,
    )


@bp.get("/<int:questionnaire_id>/preview", defaults={"group": None, "page": 1})
@bp.get("/<int:questionnaire_id>/preview/<group>/<int:page>")
def preview(questionnaire_id: int, group: str | None, page: int):
    """The respondent's page (same form, same templates) of one group, with no
    invitation: nothing can be submitted, nothing is stored."""
    q = queries.get_questionnaire(questionnaire_id)
    groups = queries.group_codes(q)
    if not groups or (group is not None and group not in groups):
        abort(404)
    group = group or groups[0]
    spec = get_form_spec(q.id, group)
    index = max(0, min(page - 1, len(spec.sections) - 1))
    items = list(spec.sections[index].items)  # conditional items too: the admin sees all
    form = make_section_form(items, get_language(), data={})
    return render_template(
        "questionnaires/preview.html",
        questionnaire=q,
        groups=groups,
        group=group,
        group_name=group_name,
        spec=spec,
        index=index,
        section=spec.sections[index],
        items=items,
        items_html=Markup(
            render_template("respond/_items.html", items=items, form=form, numbers=spec.numbers)
        ),
        form=form,
    )


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    form = QuestionnaireUploadForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("questionnaires/upload.html", form=form), status
    upload = form.file.data
    data = upload.read()
    try:
        spec = without_transaction(_parse, data, upload.filename)
        q = import_questionnaire(spec, upload.filename)
    except InvalidFile as exc:
        db.session.rollback()
        problems = _problems(exc)
        return render_template("questionnaires/upload.html", form=form, problems=problems), 400
    db.session.commit()
    flash(_("Questionnaire {code} imported: {n} items.", code=q.code, n=len(q.items())), "info")
    _flash_kinds(spec)
    return redirect(url_for(".detail", questionnaire_id=q.id), 303)


def _parse(data: bytes, name: str):
    if name.lower().endswith(".xlsx"):
        return parse_xlsform(data, name)
    return parse_questionnaire(decode_text(data, name), name)


def _problems(exc: InvalidFile) -> list[str]:
    return exc.texts()


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
        flash(warning.text() if hasattr(warning, "text") else warning, "warning")
