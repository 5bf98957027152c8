"""Small hand-built inputs for the index tests: one self and one survey sub-criterion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aggregation import index
from aggregation.inputs import (
    Area,
    CriteriaSet,
    Criterion,
    IndexInputs,
    Responses,
    Scale,
    SelfScore,
    Subcriterion,
)
from aggregation.survey import survey_estimates


@dataclass(frozen=True)
class Case(IndexInputs):
    """Index inputs with the responses they are computed from (tests vary either)."""

    responses: Responses | None = None


def compute_index(case: Case, **kw):
    """:func:`aggregation.index.compute_index` of ``case.responses`` mapped in one chunk."""
    return index.compute_index(case, survey_estimates(case, case.responses), **kw)


#: The 4-level scale of the examples, with 9 = "don't know".
SCALE = Scale({4.0: 1.0, 3.0: 0.75, 2.0: 0.5, 1.0: 0.25, 9.0: None})
ITEMS = ("Q1", "Q2")


def criteria_set(
    kind: str = "cuc",
    *,
    self_max: float = 90.0,
    survey_max: float = 10.0,
    weights: dict[str, float] | None = None,
    min_n: int = 3,
    bonus_cap: float | None = None,
    penalty_cap: float | None = None,
) -> CriteriaSet:
    """Area "1": self sub-criterion 1.1.1; area "2": survey sub-criterion 2.1.1 on Q1, Q2."""
    return CriteriaSet(
        code=f"SET-{kind}",
        unit_kind=kind,
        min_group_respondents=min_n,
        group_weights=weights or {"leader": 0.4, "official": 0.6},
        areas=(
            Area("1", (Criterion("1.1", (Subcriterion("1.1.1", "self", self_max),)),)),
            Area("2", (Criterion("2.1", (Subcriterion("2.1.1", "survey", survey_max, ITEMS),)),)),
        ),
        bonus_cap=bonus_cap,
        penalty_cap=penalty_cap,
    )


def rows(unit: str, group: str, answers, weight: float = 1.0) -> list[dict]:
    """One response per answer pair ``(q1, q2)`` (nan = not answered), each its own PSU."""
    return [
        {"unit": unit, "group": group, "q": (float(a), float(b)), "weight": weight}
        for a, b in answers
    ]


def responses(records: list[dict]) -> Responses:
    """Stratum = unit-group; PSU = one per respondent unless a record gives ``psu``."""
    n = len(records)
    return Responses(
        unit=np.array([r["unit"] for r in records], dtype=str),
        group=np.array([r["group"] for r in records], dtype=str),
        stratum=np.array([f"{r['unit']}-{r['group']}" for r in records], dtype=str),
        psu=np.array([r.get("psu", f"p{i}") for i, r in enumerate(records)], dtype=str),
        weight=np.array([r["weight"] for r in records], dtype=float),
        items=ITEMS,
        answers=np.array([r["q"] for r in records], dtype=float).reshape(n, len(ITEMS)),
    )


def full_marks(units, groups=("leader", "official"), n: int = 5) -> list[dict]:
    """Every respondent answers 4 (fraction 1) on both items: survey points = maximum."""
    return [r for u in units for g in groups for r in rows(u, g, [(4, 4)] * n)]


def inputs(
    units: dict[str, str],
    records: list[dict],
    self_points: dict[str, float],
    sets: tuple[CriteriaSet, ...] | None = None,
    **extra,
) -> Case:
    """Inputs with appraised self points ``self_points[unit]`` on 1.1.1."""
    kinds = sorted(set(units.values()))
    return Case(
        criteria_sets=sets or tuple(criteria_set(k) for k in kinds),
        units=units,
        item_scales={item: SCALE for item in ITEMS},
        responses=responses(records),
        self_scores=tuple(SelfScore(u, "1.1.1", p, p) for u, p in self_points.items()),
        **extra,
    )


def example_case(previous: bool = False) -> Case:
    """The inputs of ``tests/data/examples`` (the files ``expected_index.json`` was made from)."""
    from survey_app.cli import index_inputs as load
    from tests.conftest import EXAMPLES

    scales = load.load_questionnaire(EXAMPLES / "questionnaire.yaml")
    return Case(
        criteria_sets=tuple(
            load.load_criteria_set(EXAMPLES / f"criteria_set_{k}.yaml") for k in ("cuc", "vu")
        ),
        units=load.load_units(EXAMPLES / "units.csv"),
        item_scales=scales,
        responses=load.load_responses(EXAMPLES / "responses.csv", scales),
        self_scores=load.load_self_scores(EXAMPLES / "self_assessment.csv"),
        previous=load.load_previous(EXAMPLES / "previous.csv") if previous else {},
    )
