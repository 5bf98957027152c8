"""Loading assessments for a user: ``get_*`` returns one or 404s, ``list_*`` returns many.

A focal point sees only their own unit; anything else is answered 404, exactly as if it
did not exist, so guessed ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select

from survey_app.assessments.models import BonusPenalty, Evidence, SelfAssessment
from survey_app.core import numbers
from survey_app.core.models import AuditEntry
from survey_app.criteria.models import CriteriaSet, SubCriterion
from survey_app.extensions import db
from survey_app.rounds.models import Round
from survey_app.units.models import Unit


@dataclass
class SheetRow:
    """One self sub-criterion of a unit and its score (None until the unit enters one)."""

    sub: SubCriterion
    sa: SelfAssessment | None

    @property
    def counted(self) -> float | None:
        """The points that count: appraised, else (flagged) the unit's own."""
        if self.sa is None:
            return None
        return (
            self.sa.appraised_points
            if self.sa.appraised_points is not None
            else self.sa.self_points
        )

    @property
    def difference(self) -> float | None:
        """Appraised − self points (the one direction, core/numbers.py); None until both exist."""
        if self.sa is None:
            return None
        return numbers.difference(self.sa.appraised_points, self.sa.self_points)


def may_see_unit(user, unit_id: int) -> bool:
    return user.role != "focal" or user.unit_id == unit_id


def get_round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def get_round_unit(user, round_id: int, unit_id: int) -> tuple[Round, Unit]:
    rnd = get_round(round_id)
    unit = next((u for u in rnd.units if u.id == unit_id), None)
    if unit is None or not may_see_unit(user, unit.id):
        abort(404)
    return rnd, unit


def get_assessment(user, assessment_id: int) -> SelfAssessment:
    sa = db.session.get(SelfAssessment, assessment_id)
    if sa is None or not may_see_unit(user, sa.unit_id):
        abort(404)
    return sa


def get_evidence(user, evidence_id: int) -> Evidence:
    ev = db.session.get(Evidence, evidence_id)
    if ev is None:
        abort(404)
    get_assessment(user, ev.assessment_id)
    return ev


def criteria_set_of(rnd: Round, unit: Unit) -> CriteriaSet | None:
    return next((cs for cs in rnd.criteria_sets if cs.unit_kind_id == unit.kind_id), None)


def list_sheet(rnd: Round, unit: Unit) -> list[SheetRow]:
    """The unit's self sub-criteria in the order of the criteria set, with their scores."""
    cs = criteria_set_of(rnd, unit)
    subs = [s for s in cs.subcriteria() if s.source == "self"] if cs else []
    stmt = select(SelfAssessment).where(
        SelfAssessment.round_id == rnd.id, SelfAssessment.unit_id == unit.id
    )
    found = {sa.subcriterion_id: sa for sa in db.session.scalars(stmt)}
    return [SheetRow(s, found.get(s.id)) for s in subs]


def bonus_penalty_of(rnd: Round, unit: Unit) -> BonusPenalty | None:
    return db.session.scalar(
        select(BonusPenalty).where(BonusPenalty.round_id == rnd.id, BonusPenalty.unit_id == unit.id)
    )


def list_state_counts(rnd: Round) -> dict[int, dict[str, int]]:
    """unit id → {state: number of scores}, for the round overview."""
    stmt = (
        select(SelfAssessment.unit_id, SelfAssessment.state, func.count())
        .where(SelfAssessment.round_id == rnd.id)
        .group_by(SelfAssessment.unit_id, SelfAssessment.state)
    )
    out: dict[int, dict[str, int]] = {}
    for unit_id, state, n in db.session.execute(stmt):
        out.setdefault(unit_id, {})[state] = n
    return out


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.created_at.desc())))


def list_unit_audit(rnd: Round, unit: Unit) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.round_id == rnd.id, AuditEntry.unit_id == unit.id)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


def list_assessment_audit(sa: SelfAssessment) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(
        AuditEntry.object_type == "self_assessment", AuditEntry.object_id == str(sa.id)
    )
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


def sheet_totals(rows: list[SheetRow]) -> dict[str, float]:
    """Sums shown under the sheet; not yet appraised scores count with the unit's points."""
    return {
        "max": sum(r.sub.max_points for r in rows),
        "self": sum((r.sa.self_points or 0) for r in rows if r.sa),
        "counted": sum((r.counted or 0) for r in rows),
        "unappraised": sum(1 for r in rows if r.sa is None or r.sa.appraised_points is None),
    }
