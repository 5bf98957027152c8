"""Self-assessment and appraisal changes, each written to the audit log."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.assessments.models import Appraisal, SelfAssessment
from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.formats.self_csv import SelfRow
from survey_app.rounds.models import Round


def self_maxima(rnd: Round) -> dict[tuple[str, str], float]:
    """(unit code, sub-criterion code) → max points, for the self sub-criteria of ``rnd``."""
    by_kind = {cs.unit_kind_id: cs for cs in rnd.criteria_sets}
    out = {}
    for unit in rnd.units:
        cs = by_kind.get(unit.kind_id)
        for sub in cs.subcriteria() if cs else []:
            if sub.source == "self":
                out[(unit.code, sub.code)] = sub.max_points
    return out


def import_self_assessments(rnd: Round, rows: list[SelfRow]) -> int:
    """Create or replace self scores (and appraisals where the file has them)."""
    units = {u.code: u for u in rnd.units}
    subs = {(cs.unit_kind_id, s.code): s for cs in rnd.criteria_sets for s in cs.subcriteria()}
    existing = {
        (a.unit_id, a.subcriterion_id): a
        for a in db.session.scalars(select(SelfAssessment).where(SelfAssessment.round_id == rnd.id))
    }
    for row in rows:
        unit = units[row.unit]
        sub = subs[(unit.kind_id, row.subcriterion)]
        sa = existing.get((unit.id, sub.id)) or SelfAssessment(
            round_id=rnd.id, unit_id=unit.id, subcriterion_id=sub.id
        )
        old = {"self": sa.self_points, "appraised": sa.appraised_points}
        sa.self_points, sa.note, sa.submitted_at = row.self_points, row.note or None, utcnow()
        sa.state = "submitted"
        if row.appraised_points is not None:
            _record_import_appraisal(sa, row.appraised_points)
        db.session.add(sa)
        log_change(
            "assessment.import",
            "self_assessment",
            None,
            unit_id=unit.id,
            round_id=rnd.id,
            old=old,
            new={
                "subcriterion": sub.code,
                "self": row.self_points,
                "appraised": row.appraised_points,
            },
        )
    db.session.flush()
    return len(rows)


def _record_import_appraisal(sa: SelfAssessment, points: float) -> None:
    sa.appraised_points, sa.state = points, "final"
    reason = None if abs(points - (sa.self_points or 0)) < 1e-12 else "imported from file"
    sa.appraisals = [Appraisal(appraisal_round=1, points=points, reason=reason)]
