"""One score: its history, appraisal rounds 1 and 2, the explanation, and evidence files."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, send_file, url_for

from survey_app.accounts.auth import require_role
from survey_app.assessments import queries as q
from survey_app.assessments import rules
from survey_app.assessments.appraisals import appraise, decide_round_two, explain
from survey_app.assessments.evidence import (
    DEFAULT_MAX_BYTES,
    add_evidence,
    evidence_folder,
    evidence_path,
    human_size,
    remove_evidence,
)
from survey_app.assessments.forms import AppraisalForm, EvidenceForm, ExplanationForm
from survey_app.assessments.rules import AssessmentError
from survey_app.assessments.views import COUNCIL, EVERYONE, bp, flash_error
from survey_app.extensions import db
from survey_app.i18n import gettext as _


def _first_form(sa, formdata=None):
    kwargs = {} if formdata else {"formdata": None, "data": {"points": sa.self_points}}
    return AppraisalForm(sa.subcriterion.max_points, sa.self_points, prefix="r1", **kwargs)


def _second_form(sa, formdata=None):
    first = rules.first_appraisal(sa)
    reference = first.points if first else None
    kwargs = {} if formdata else {"formdata": None, "data": {"points": reference}}
    return AppraisalForm(sa.subcriterion.max_points, reference, prefix="r2", **kwargs)


def _render_item(sa, status=200, **forms):
    rnd = q.get_round(sa.round_id)
    context = {
        "first_form": _first_form(sa),
        "second_form": _second_form(sa),
        "explanation_form": ExplanationForm(formdata=None),
        "evidence_form": EvidenceForm(formdata=None),
    } | forms
    limit = human_size(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))
    return render_template(
        "assessments/item.html",
        sa=sa,
        rnd=rnd,
        rules=rules,
        user=g.user,
        evidence_limit=limit,
        **context,
    ), status


def _back(sa):
    return redirect(url_for(".item", assessment_id=sa.id))


@bp.get("/items/<int:assessment_id>")
@require_role(*EVERYONE)
def item(assessment_id: int):
    return _render_item(q.get_assessment(g.user, assessment_id))


@bp.post("/items/<int:assessment_id>/appraise")
@require_role(*COUNCIL)
def appraise_item(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    form = _first_form(sa, formdata=True)
    if not form.validate_on_submit():
        return _render_item(sa, 400, first_form=form)
    return _apply(sa, lambda: appraise(sa, form.points.points, form.reason.data, g.user))


@bp.post("/items/<int:assessment_id>/decide")
@require_role(*COUNCIL)
def decide_item(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    form = _second_form(sa, formdata=True)
    if not form.validate_on_submit():
        return _render_item(sa, 400, second_form=form)
    return _apply(sa, lambda: decide_round_two(sa, form.points.points, form.reason.data, g.user))


@bp.post("/items/<int:assessment_id>/explain")
@require_role("focal")
def explain_item(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    form = ExplanationForm()
    if not form.validate_on_submit():
        return _render_item(sa, 400, explanation_form=form)
    return _apply(sa, lambda: explain(sa, form.text.data, g.user))


@bp.post("/items/<int:assessment_id>/evidence")
@require_role("focal")
def upload_evidence(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _render_item(sa, 400, evidence_form=form)
    upload = form.file.data
    limit = current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)
    rnd = q.get_round(sa.round_id)
    return _apply(
        sa,
        lambda: add_evidence(
            sa, rnd, upload.filename, upload.stream, evidence_folder(), g.user, limit
        ),
    )


def _apply(sa, operation):
    """Run one operation: commit and go back, or roll back and show why (status 400)."""
    try:
        operation()
    except AssessmentError as exc:
        db.session.rollback()
        flash_error(exc)
        return _render_item(db.session.get(type(sa), sa.id), 400)
    db.session.commit()
    flash(_("Saved."), "info")
    return _back(sa)


@bp.get("/evidence/<int:evidence_id>")
@require_role(*EVERYONE)
def download_evidence(evidence_id: int):
    ev = q.get_evidence(g.user, evidence_id)
    path = evidence_path(ev, evidence_folder())
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=ev.content_type,
        as_attachment=True,
        download_name=ev.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/evidence/<int:evidence_id>/delete")
@require_role("focal")
def delete_evidence(evidence_id: int):
    ev = q.get_evidence(g.user, evidence_id)
    sa = q.get_assessment(g.user, ev.assessment_id)
    rnd = q.get_round(sa.round_id)
    return _apply(sa, lambda: remove_evidence(ev, rnd, evidence_folder()))
