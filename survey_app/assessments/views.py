"""Self-assessment sheets, the round overview, and the bonus/penalty and deadline forms.

Views load with an access check (``queries.get_*``), validate a form, call one operation,
commit. The score page is in ``views_items.py``; files in ``views_transfer.py``; the audit
trail in ``views_audit.py``. All register on this blueprint.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from survey_app.accounts.auth import require_role
from survey_app.assessments import queries as q
from survey_app.assessments.appraisals import appraise, set_bonus_penalty
from survey_app.assessments.audit import reason_text, state_name
from survey_app.assessments.forms import (
    BonusPenaltyForm,
    DeadlineForm,
    EvidenceForm,
    ImportForm,
    make_appraisal_sheet_form,
    make_self_sheet_form,
)
from survey_app.assessments.operations import (
    save_self_score,
    set_self_deadline,
    submit_self_assessment,
)
from survey_app.assessments.rules import (
    AssessmentError,
    can_appraise_first,
    can_edit_self,
    differs,
    first_appraisal,
    self_deadline,
)
from survey_app.extensions import db
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _

bp = Blueprint(
    "assessments",
    __name__,
    template_folder="templates",
    static_folder="static",
    url_prefix="/assessments",
)

EVERYONE = ("admin", "appraiser", "focal", "viewer")
COUNCIL = ("admin", "appraiser")
READERS = ("admin", "appraiser", "viewer")


def flash_error(exc: AssessmentError) -> None:
    flash(_(exc.message, **exc.params), "error")


@bp.app_template_global("assessment_state")
def assessment_state(state: str) -> str:
    """An assessment state's name ("final" is not a run's "final": its own context)."""
    return state_name(state, get_language())


@bp.app_template_filter("reason")
def reason_filter(reason: str | None) -> str:
    """A reason as typed, or the system's own ("imported from file") in the reader's words."""
    return reason_text(reason, get_language())


@bp.get("/")
@require_role(*EVERYONE)
def index():
    return render_template("assessments/index.html", rounds=q.list_rounds())


@bp.get("/rounds/<int:round_id>")
@require_role(*READERS)
def round_overview(round_id: int):
    rnd = q.get_round(round_id)
    form = DeadlineForm(data={"deadline": rnd.self_deadline_at})
    return _render_overview(rnd, form)


def _render_overview(rnd, form):
    return render_template(
        "assessments/round.html",
        rnd=rnd,
        counts=q.list_state_counts(rnd),
        deadline=self_deadline(rnd),
        deadline_form=form,
        import_form=ImportForm(),
    )


@bp.post("/rounds/<int:round_id>/deadline")
@require_role("admin")
def set_deadline(round_id: int):
    rnd = q.get_round(round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return _render_overview(rnd, form), 400
    set_self_deadline(rnd, form.deadline.data, form.reason.data or None)
    db.session.commit()
    flash(_("The deadline was saved."), "info")
    return redirect(url_for(".round_overview", round_id=rnd.id))


@bp.get("/rounds/<int:round_id>/units/<int:unit_id>")
@require_role(*EVERYONE)
def sheet(round_id: int, unit_id: int):
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    rows = q.list_sheet(rnd, unit)
    return _render_sheet(rnd, unit, rows, make_self_sheet_form(rows), _bonus_form(rnd, unit))


def _bonus_form(rnd, unit) -> BonusPenaltyForm:
    """The stored bonus and penalty, for editing (never the request's data)."""
    return BonusPenaltyForm(formdata=None, obj=q.bonus_penalty_of(rnd, unit))


def _appraisable(rows):
    return [r for r in rows if r.sa is not None and can_appraise_first(r.sa)]


def _render_sheet(rnd, unit, rows, form, bonus_form, appraisal_form=None):
    editable = g.user.role == "focal" and all(can_edit_self(r.sa, rnd) for r in rows)
    open_rows = _appraisable(rows) if g.user.role in COUNCIL else []
    return render_template(
        "assessments/sheet.html",
        rnd=rnd,
        unit=unit,
        rows=rows,
        totals=q.sheet_totals(rows),
        form=form,
        editable=editable,
        criteria_set=q.criteria_set_of(rnd, unit),
        bonus=q.bonus_penalty_of(rnd, unit),
        bonus_form=bonus_form,
        import_form=ImportForm(),
        evidence_form=EvidenceForm(),
        deadline=self_deadline(rnd),
        open_rows=open_rows,
        appraisal_form=appraisal_form or make_appraisal_sheet_form(open_rows),
    )


@bp.post("/rounds/<int:round_id>/units/<int:unit_id>")
@require_role("focal")
def save_sheet(round_id: int, unit_id: int):
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    rows = q.list_sheet(rnd, unit)
    form = make_self_sheet_form(rows)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_sheet(rnd, unit, rows, form, _bonus_form(rnd, unit)), 400
    try:
        for row in rows:
            _save_row(rnd, unit, row, form)
    except AssessmentError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))
    db.session.commit()
    flash(_("The draft was saved."), "info")
    if request.form.get("action") == "submit":
        _submit(rnd, unit, rows)
    return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))


def _save_row(rnd, unit, row, form) -> None:
    points = form[f"points_{row.sub.id}"].points
    note = form[f"note_{row.sub.id}"].data
    if row.sa is None and points is None and not (note or "").strip():
        return
    save_self_score(rnd, unit, row.sub, points, note)


def _submit(rnd, unit, rows) -> None:
    try:
        submit_self_assessment(rnd, unit, [r.sub for r in rows])
    except AssessmentError as exc:
        db.session.rollback()
        flash_error(exc)
        return
    db.session.commit()
    flash(_("The self-assessment was submitted."), "info")


@bp.post("/rounds/<int:round_id>/units/<int:unit_id>/appraise")
@require_role(*COUNCIL)
def appraise_sheet(round_id: int, unit_id: int):
    """Round 1 for all open scores of the unit at once: accept, or adjust with a reason."""
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    rows = q.list_sheet(rnd, unit)
    form = make_appraisal_sheet_form(_appraisable(rows))
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_sheet(
            rnd, unit, rows, make_self_sheet_form(rows), _bonus_form(rnd, unit), form
        ), 400
    try:
        changed = [r for r in _appraisable(rows) if _appraise_row(r.sa, form)]
    except AssessmentError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))
    db.session.commit()
    flash(_("{n} decisions were saved.", n=len(changed)), "info")
    return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))


def _appraise_row(sa, form) -> bool:
    points = form[f"points_{sa.id}"].points
    reason = (form[f"reason_{sa.id}"].data or "").strip()
    first = first_appraisal(sa)
    if first and not differs(first.points, float(points)) and (first.reason or "") == reason:
        return False  # unchanged: no new decision, nothing to log
    appraise(sa, points, reason, g.user)
    return True


@bp.post("/rounds/<int:round_id>/units/<int:unit_id>/bonus-penalty")
@require_role(*COUNCIL)
def save_bonus_penalty(round_id: int, unit_id: int):
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    form = BonusPenaltyForm()
    rows = q.list_sheet(rnd, unit)
    if form.validate_on_submit():
        try:
            set_bonus_penalty(
                rnd, unit, q.criteria_set_of(rnd, unit),
                form.bonus.points, form.bonus_reason.data,
                form.penalty.points, form.penalty_reason.data,
            )  # fmt: skip
        except AssessmentError as exc:
            db.session.rollback()
            flash_error(exc)
        else:
            db.session.commit()
            flash(_("Bonus and penalty were saved."), "info")
            return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))
    return _render_sheet(rnd, unit, rows, make_self_sheet_form(rows), form), 400


from survey_app.assessments import views_audit, views_items, views_transfer  # noqa: E402, F401
