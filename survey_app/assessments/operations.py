"""The unit's side: draft scores, submission, the deadline, and imports of whole files.

Every operation changes one thing, flushes, and writes the change (old → new) to the
audit log; the view commits. Appraisal is in ``appraisals.py``, evidence in ``evidence.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from survey_app.assessments.audit import IMPORT_REASON
from survey_app.assessments.models import Appraisal, SelfAssessment
from survey_app.assessments.rules import (
    AssessmentError,
    can_edit_self,
    check_points,
    deadline_passed,
    differs,
)
from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.formats.problems import Phrase, Problem
from survey_app.formats.self_csv import SelfRow
from survey_app.rounds.models import Round


def log_assessment(action: str, sa: SelfAssessment, old=None, new=None, reason=None):
    """An audit entry about one score; the sub-criterion code makes the entry readable."""
    code = {"subcriterion": sa.subcriterion.code}
    return log_change(
        action,
        "self_assessment",
        sa.id,
        old=None if old is None else code | old,
        new=None if new is None else code | new,
        reason=reason,
        unit_id=sa.unit_id,
        round_id=sa.round_id,
    )


def save_self_score(rnd: Round, unit, sub, points, note: str | None) -> SelfAssessment:
    """Create or change a draft score; ``points`` None leaves it unscored."""
    sa = _find(rnd, unit, sub)
    value = None if points is None else check_points(points, sub.max_points)
    note = (note or "").strip() or None
    if sa is not None and not differs(sa.self_points, value) and sa.note == note:
        return sa  # unchanged: nothing to refuse, nothing to log
    if not can_edit_self(sa, rnd):
        raise AssessmentError("The self-assessment is locked (submitted or past the deadline).")
    if sa is None:
        sa = SelfAssessment(round_id=rnd.id, unit_id=unit.id, subcriterion=sub, state="draft")
        db.session.add(sa)
    old = None if sa.id is None else {"self": sa.self_points, "note": sa.note}
    sa.self_points, sa.note = value, note
    db.session.flush()
    log_assessment("assessment.save", sa, old, {"self": value, "note": note})
    return sa


def _find(rnd: Round, unit, sub) -> SelfAssessment | None:
    return db.session.scalar(
        select(SelfAssessment).where(
            SelfAssessment.round_id == rnd.id,
            SelfAssessment.unit_id == unit.id,
            SelfAssessment.subcriterion_id == sub.id,
        )
    )


def submit_self_assessment(rnd: Round, unit, subcriteria: list) -> list[SelfAssessment]:
    """Submit every score of the unit at once; all must be scored, before the deadline."""
    if deadline_passed(rnd):
        raise AssessmentError(
            "The deadline has passed; the self-assessment can no longer be submitted."
        )
    found = {sa.subcriterion_id: sa for sa in _unit_scores(rnd, unit)}
    missing = [s.code for s in subcriteria if getattr(found.get(s.id), "self_points", None) is None]
    if missing:
        raise AssessmentError(
            "Score every sub-criterion before submitting: {codes}.", codes=", ".join(missing)
        )
    drafts = [found[s.id] for s in subcriteria if found[s.id].state == "draft"]
    if not drafts:
        raise AssessmentError("The self-assessment was already submitted.")
    now = utcnow()
    for sa in drafts:
        sa.state, sa.submitted_at = "submitted", now
        log_assessment("assessment.submit", sa, {"state": "draft"}, {"state": "submitted"})
    db.session.flush()
    return drafts


def _unit_scores(rnd: Round, unit) -> list[SelfAssessment]:
    stmt = select(SelfAssessment).where(
        SelfAssessment.round_id == rnd.id, SelfAssessment.unit_id == unit.id
    )
    return list(db.session.scalars(stmt))


def set_self_deadline(rnd: Round, deadline: dt.datetime | None, reason: str | None) -> None:
    old = rnd.self_deadline_at
    if old == deadline:
        return
    rnd.self_deadline_at = deadline
    db.session.flush()
    log_change(
        "round.self_deadline",
        "round",
        rnd.id,
        round_id=rnd.id,
        old={"self_deadline_at": old.isoformat() if old else None},
        new={"self_deadline_at": deadline.isoformat() if deadline else None},
        reason=reason,
    )


def import_unit_drafts(rnd: Round, unit, rows: list[SelfRow], subs: dict) -> list[Problem]:
    """Save a unit's file as draft scores; returns problems ("row N: …"), saving nothing then."""
    problems = [
        Problem(f"row {row.row}", "unit {unit} is not {code}", unit=row.unit, code=unit.code)
        for row in rows
        if row.unit != unit.code
    ]
    problems += [
        Problem(
            f"row {row.row}", "appraised_points are set by the appraisers; leave the cell empty"
        )
        for row in rows
        if row.appraised_points is not None
    ]
    for row in rows:
        try:
            check_points(row.self_points, subs[row.subcriterion].max_points)
        except AssessmentError as exc:
            reason = Phrase(exc.message, **exc.params)
            problems.append(
                Problem(
                    f"row {row.row}",
                    "self_points {points:g}: {reason}",
                    points=row.self_points,
                    reason=reason,
                )
            )
        except KeyError as exc:
            problems.append(
                Problem(f"row {row.row}", "unknown sub-criterion {code}", code=str(exc))
            )
    if problems:
        return problems
    for row in rows:
        save_self_score(rnd, unit, subs[row.subcriterion], row.self_points, row.note)
    return []


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
            round_id=rnd.id, unit_id=unit.id, subcriterion=sub
        )
        old = None if sa.id is None else {"self": sa.self_points, "appraised": sa.appraised_points}
        sa.self_points, sa.note, sa.submitted_at = row.self_points, row.note or None, utcnow()
        sa.state = "submitted"
        if row.appraised_points is not None:
            _record_import_appraisal(sa, row.appraised_points)
        db.session.add(sa)
        db.session.flush()
        new = {"self": row.self_points, "appraised": row.appraised_points, "state": sa.state}
        log_assessment("assessment.import", sa, old, new)
    return len(rows)


def _record_import_appraisal(sa: SelfAssessment, points: float) -> None:
    sa.appraised_points, sa.state = points, "final"
    reason = IMPORT_REASON if differs(points, sa.self_points or 0) else None
    sa.appraisals = [Appraisal(appraisal_round=1, points=points, reason=reason)]
