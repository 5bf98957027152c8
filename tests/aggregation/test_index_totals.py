"""The index formula: appraised self points, survey points, capped bonus and penalty, areas."""

from __future__ import annotations

import dataclasses

import pytest

from aggregation import flags
from aggregation.inputs import BonusPenalty, SelfScore
from tests.aggregation import index_factories as f
from tests.aggregation.index_factories import compute_index

UNITS = {"A": "cuc", "B": "cuc"}


def _result(**kw):
    sets = (f.criteria_set(bonus_cap=2.0, penalty_cap=5.0),)
    inputs = f.inputs(UNITS, f.full_marks(UNITS), {"A": 70.0, "B": 60.0}, sets=sets)
    return compute_index(dataclasses.replace(inputs, **kw), draws=200)


def _unit(result, unit):
    return next(u for u in result.units if u.unit == unit)


def test_index_is_points_over_maximum_in_percent():
    a = _unit(_result(), "A")
    assert (a.self_points, a.survey_points, a.max_points) == (70.0, 10.0, 100.0)
    assert a.index == pytest.approx(80.0)
    assert a.areas == pytest.approx({"1": 70.0 / 90 * 100, "2": 100.0})
    assert a.index_se == 0.0 and a.index_ci_low == a.index_ci_high == a.index


def test_appraised_points_count_and_self_points_stay_visible():
    scores = (SelfScore("A", "1.1.1", 80.0, 72.5), SelfScore("B", "1.1.1", 60.0, 60.0))
    result = _result(self_scores=scores)
    row = next(r for r in result.subcriteria if r.unit == "A" and r.source == "self")
    assert (row.points, row.self_points, row.appraised_points) == (72.5, 80.0, 72.5)
    assert _unit(result, "A").index == pytest.approx(82.5)


def test_unappraised_score_uses_self_points_and_is_flagged():
    scores = (SelfScore("A", "1.1.1", 80.0, None), SelfScore("B", "1.1.1", 60.0, 60.0))
    result = _result(self_scores=scores)
    row = next(r for r in result.subcriteria if r.unit == "A" and r.source == "self")
    assert row.points == 80.0 and row.flags == (flags.NOT_APPRAISED,)
    assert flags.NOT_APPRAISED in _unit(result, "A").flags


def test_missing_self_assessment_counts_zero_and_is_flagged():
    result = _result(self_scores=(SelfScore("B", "1.1.1", 60.0, 60.0),))
    a = _unit(result, "A")
    assert a.self_points == 0.0 and a.index == pytest.approx(10.0)
    assert flags.NOT_ASSESSED in a.flags


def test_bonus_and_penalty_are_capped_by_the_criteria_set():
    extra = (BonusPenalty("A", bonus=3.0, penalty=1.0), BonusPenalty("B", penalty=7.5))
    result = _result(bonus_penalty=extra)
    a, b = _unit(result, "A"), _unit(result, "B")
    assert (a.bonus, a.penalty, a.index) == (2.0, 1.0, pytest.approx(81.0))
    assert flags.BONUS_CAPPED in a.flags and flags.PENALTY_CAPPED not in a.flags
    assert (b.bonus, b.penalty, b.index) == (0.0, 5.0, pytest.approx(65.0))
    assert flags.PENALTY_CAPPED in b.flags


def test_previous_index_gives_change():
    a = _unit(_result(previous={"A": 77.5}), "A")
    assert a.previous_index == 77.5 and a.change == pytest.approx(2.5)
    assert _unit(_result(), "A").change is None


def test_set_without_survey_subcriteria_needs_no_responses():
    cs = f.criteria_set()
    self_only = dataclasses.replace(cs, areas=cs.areas[:1])
    inputs = f.inputs(UNITS, [], {"A": 72.0, "B": 45.0}, sets=(self_only,))
    result = compute_index(inputs, draws=50)
    a = _unit(result, "A")
    assert result.t is None and a.index == pytest.approx(80.0) and a.index_se == 0.0
    assert (a.rank, a.rank_low, a.rank_high) == (1, 1, 1)
