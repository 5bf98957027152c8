"""Bad inputs stop the index with a clear error; nothing turns into a silent nan."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aggregation.inputs import BonusPenalty, IndexInputError, SelfScore, Subcriterion
from tests.aggregation import index_factories as f
from tests.aggregation.index_factories import compute_index

UNITS = {"A": "cuc", "B": "cuc"}
OWN = {"A": 70.0, "B": 60.0}


def _inputs(records=None, self_scores=None, **kw):
    inputs = f.inputs(UNITS, f.full_marks(UNITS) if records is None else records, OWN, **kw)
    return inputs if self_scores is None else dataclasses.replace(inputs, self_scores=self_scores)


def _replace_responses(inputs, **kw):
    return dataclasses.replace(inputs, responses=dataclasses.replace(inputs.responses, **kw))


def _raises(inputs, match):
    with pytest.raises(IndexInputError, match=match):
        compute_index(inputs, draws=10)


def test_response_about_unknown_unit_is_refused():
    unit = np.array(["A"] * 10 + ["Z"] * 10)
    _raises(_replace_responses(_inputs(), unit=unit), "unknown unit Z")


def test_response_from_unknown_group_is_refused():
    records = f.full_marks(UNITS) + f.rows("A", "citizen", [(4, 4)])
    _raises(_inputs(records), "unknown group citizen")


def test_answer_outside_the_scale_is_refused():
    records = f.full_marks(UNITS) + f.rows("A", "leader", [(5, 4)])
    _raises(_inputs(records), "item Q1 has value 5")


def test_subcriterion_naming_unknown_item_is_refused():
    cs = f.criteria_set()
    bad = dataclasses.replace(
        cs.areas[1].criteria[0], subcriteria=(Subcriterion("2.1.1", "survey", 10.0, ("Q9",)),)
    )
    area = dataclasses.replace(cs.areas[1], criteria=(bad,))
    _raises(_inputs(sets=(dataclasses.replace(cs, areas=(cs.areas[0], area)),)), "unknown item Q9")


def test_group_weights_not_summing_to_one_are_refused():
    sets = (f.criteria_set(weights={"leader": 0.5, "official": 0.6}),)
    _raises(_inputs(sets=sets), "sum to 1.1")


def test_self_score_for_unknown_subcriterion_is_refused():
    scores = (SelfScore("A", "9.9.9", 1.0, 1.0),)
    _raises(_inputs(self_scores=scores), "9.9.9: not a self-assessed sub-criterion")


def test_appraised_points_above_maximum_are_refused():
    scores = (SelfScore("A", "1.1.1", 80.0, 95.0),)
    _raises(_inputs(self_scores=scores), "appraised points 95 outside 0..90")


def test_self_score_given_twice_is_refused():
    scores = (SelfScore("A", "1.1.1", 80.0, 70.0), SelfScore("A", "1.1.1", 80.0, 70.0))
    _raises(_inputs(self_scores=scores), "given twice")


def test_negative_bonus_is_refused():
    _raises(_inputs(bonus_penalty=(BonusPenalty("A", bonus=-1.0),)), "bonus of unit A")


def test_previous_index_of_unknown_unit_is_refused():
    _raises(_inputs(previous={"Z": 70.0}), "unknown unit Z")


def test_unit_without_any_valid_survey_answer_is_refused():
    records = f.full_marks(["A"]) + f.rows("B", "leader", [(9, 9)] * 3)
    _raises(_inputs(records), "unit B, sub-criterion 2.1.1: no respondent group")


def test_unit_kind_without_criteria_set_is_refused():
    inputs = dataclasses.replace(_inputs(), units={**UNITS, "X": "province"})
    _raises(inputs, "kind province, which no criteria set scores")


def test_design_without_degrees_of_freedom_is_refused():
    records = f.full_marks(UNITS)
    inputs = _replace_responses(_inputs(records), psu=np.full(len(records), "p"))
    _raises(inputs, "degrees of freedom")


def test_zero_weight_is_refused_by_the_design():
    inputs = _replace_responses(_inputs(), weight=np.zeros(20))
    with pytest.raises(ValueError, match="zero or negative"):
        compute_index(inputs, draws=10)
