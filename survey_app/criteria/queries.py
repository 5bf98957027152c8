"""Read-only queries of the criteria set pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.criteria.models import Area, CriteriaSet, Criterion, SubCriterion
from survey_app.extensions import db
from survey_app.questionnaires.models import Item, Questionnaire
from survey_app.rounds.models import Round, round_criteria_sets


@dataclass(frozen=True)
class Split:
    """Maximum points, and how many of them are self-assessed or come from the survey."""

    total: float
    self_points: float
    survey_points: float

    @property
    def self_percent(self) -> float:
        return 100 * self.self_points / self.total if self.total else 0.0

    @property
    def survey_percent(self) -> float:
        return 100 * self.survey_points / self.total if self.total else 0.0


def split(subcriteria: list[SubCriterion]) -> Split:
    self_points = sum(s.max_points for s in subcriteria if s.source == "self")
    survey_points = sum(s.max_points for s in subcriteria if s.source == "survey")
    return Split(self_points + survey_points, self_points, survey_points)


def area_subcriteria(area: Area) -> list[SubCriterion]:
    return [s for c in area.criteria for s in c.subcriteria]


@dataclass(frozen=True)
class CriteriaSetRow:
    """A criteria set as the list shows it."""

    criteria_set: CriteriaSet
    n_subcriteria: int
    points: Split
    rounds: tuple[Round, ...]


def _with_tree():
    return (
        selectinload(CriteriaSet.areas)
        .selectinload(Area.criteria)
        .selectinload(Criterion.subcriteria)
        .selectinload(SubCriterion.items),
    )


def list_criteria_sets() -> list[CriteriaSetRow]:
    """Every criteria set (each code is a version), newest year first."""
    stmt = (
        select(CriteriaSet)
        .options(*_with_tree())
        .order_by(CriteriaSet.year.desc(), CriteriaSet.code)
    )
    rounds = rounds_by_criteria_set()
    return [
        CriteriaSetRow(
            cs, len(cs.subcriteria()), split(cs.subcriteria()), tuple(rounds.get(cs.id, ()))
        )
        for cs in db.session.scalars(stmt)
    ]


def get_criteria_set(criteria_set_id: int) -> CriteriaSet:
    """The set with its whole tree, or 404."""
    cs = db.session.get(CriteriaSet, criteria_set_id, options=list(_with_tree()))
    if cs is None:
        abort(404)
    return cs


def rounds_by_criteria_set() -> dict[int, list[Round]]:
    stmt = (
        select(round_criteria_sets.c.criteria_set_id, Round)
        .join(Round, Round.id == round_criteria_sets.c.round_id)
        .order_by(Round.created_at.desc())
    )
    out: dict[int, list[Round]] = defaultdict(list)
    for criteria_set_id, rnd in db.session.execute(stmt):
        out[criteria_set_id].append(rnd)
    return out


def items_by_code(codes: set[str]) -> dict[str, Item]:
    """The questionnaire item of each code, from the newest questionnaire that has it
    (sets and questionnaires are versioned apart, so a code may be in several)."""
    stmt = (
        select(Item)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
        .where(Item.code.in_(codes))
        .order_by(Questionnaire.created_at, Questionnaire.id)
    )
    return {item.code: item for item in db.session.scalars(stmt)}
