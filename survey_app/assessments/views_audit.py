"""The audit trail per unit and per score (sub-criterion), on a page and as CSV."""

from __future__ import annotations

from flask import g, render_template

from survey_app.accounts.auth import require_role
from survey_app.assessments import queries as q
from survey_app.assessments.audit import audit_csv, audit_rows
from survey_app.assessments.views import EVERYONE, bp
from survey_app.core.downloads import csv_attachment
from survey_app.i18n import get_language


@bp.get("/rounds/<int:round_id>/units/<int:unit_id>/audit")
@require_role(*EVERYONE)
def unit_audit(round_id: int, unit_id: int):
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    rows = audit_rows(q.list_unit_audit(rnd, unit), get_language())
    return render_template("assessments/audit.html", rnd=rnd, unit=unit, sa=None, rows=rows)


@bp.get("/rounds/<int:round_id>/units/<int:unit_id>/audit.csv")
@require_role(*EVERYONE)
def unit_audit_csv(round_id: int, unit_id: int):
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    body = audit_csv(q.list_unit_audit(rnd, unit))
    return csv_attachment(body, f"audit_{rnd.id}_{unit.code}.csv")


@bp.get("/items/<int:assessment_id>/audit")
@require_role(*EVERYONE)
def item_audit(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    rnd, unit = q.get_round_unit(g.user, sa.round_id, sa.unit_id)
    rows = audit_rows(q.list_assessment_audit(sa), get_language())
    return render_template("assessments/audit.html", rnd=rnd, unit=unit, sa=sa, rows=rows)


@bp.get("/items/<int:assessment_id>/audit.csv")
@require_role(*EVERYONE)
def item_audit_csv(assessment_id: int):
    sa = q.get_assessment(g.user, assessment_id)
    body = audit_csv(q.list_assessment_audit(sa))
    name = f"audit_{sa.round_id}_{sa.unit.code}_{sa.subcriterion.code}.csv"
    return csv_attachment(body, name)
