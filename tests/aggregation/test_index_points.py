"""Survey points: respondent scores, group means, α re-normalisation, SE identities."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aggregation import flags
from aggregation.design import make_design, psu_variance
from aggregation.points import item_fractions, respondent_scores
from tests.aggregation import index_factories as f
from tests.aggregation.index_factories import compute_index

NAN = float("nan")
LEADERS_A = [(4, 3), (3, 3), (2, NAN), (4, 4), (1, 2), (3, 9)]
OFFICIALS_A = [(3, 2), (2, 2), (4, 3), (3, NAN), (9, 9), (2, 1), (4, 4), (3, 3)]
OFFICIALS_B = [(2, 2), (3, 3), (1, 2), (4, 3), (3, 2), (2, NAN)]


def _survey_inputs(self_points=None, **kw):
    records = (
        f.rows("A", "leader", LEADERS_A)
        + f.rows("A", "official", OFFICIALS_A, weight=2.5)
        + f.rows("B", "official", OFFICIALS_B, weight=1.5)
    )
    own = self_points or {"A": 60.0, "B": 55.0}
    return f.inputs({"A": "cuc", "B": "cuc"}, records, own, **kw)


def _row(result, unit, sub="2.1.1"):
    return next(r for r in result.subcriteria if r.unit == unit and r.subcriterion == sub)


def _unit(result, unit):
    return next(u for u in result.units if u.unit == unit)


def test_respondent_score_is_mean_of_answered_items_and_dont_know_is_missing():
    answers = np.array([[4, 2], [3, NAN], [9, 1], [9, 9], [NAN, NAN]], dtype=float)
    scores = respondent_scores(item_fractions(answers, [f.SCALE, f.SCALE]))
    np.testing.assert_allclose(scores[:3], [0.75, 0.75, 0.25])
    assert np.isnan(scores[3:]).all()  # no valid item: out of the domain, never zero


def test_group_mean_is_weighted_mean_over_valid_respondents():
    result = compute_index(_survey_inputs(), draws=200)
    leader = _row(result, "A").groups["leader"]
    expected = np.mean([(1 + 0.75) / 2, 0.75, 0.5, 1.0, (0.25 + 0.5) / 2, 0.75])
    assert leader.n == 6
    assert leader.mean == pytest.approx(expected, rel=1e-12)
    assert _row(result, "A").groups["official"].n == 7  # (9, 9) has no valid item


def test_points_combine_group_means_with_alpha():
    row = _row(compute_index(_survey_inputs(), draws=200), "A")
    g = row.groups
    assert row.points == pytest.approx(10 * (0.4 * g["leader"].mean + 0.6 * g["official"].mean))
    assert row.flags == ()


def test_missing_group_renormalises_alpha_and_is_flagged():
    result = compute_index(_survey_inputs(), draws=200)
    row = _row(result, "B")
    assert row.groups["leader"].n == 0 and row.groups["leader"].mean is None
    assert row.points == pytest.approx(10 * row.groups["official"].mean, rel=1e-12)
    assert row.se == pytest.approx(10 * row.groups["official"].se, rel=1e-12)
    assert row.flags == (flags.GROUP_MISSING,)
    assert flags.GROUP_MISSING in _unit(result, "B").flags
    assert flags.GROUP_MISSING not in _unit(result, "A").flags


def test_group_below_minimum_size_is_flagged():
    sets = (f.criteria_set(min_n=7),)
    row = _row(compute_index(_survey_inputs(sets=sets), draws=200), "A")
    assert row.flags == (flags.FEW_RESPONDENTS,)  # 6 leaders < 7; 7 officials are enough


def test_points_se_of_groups_in_separate_strata_adds_variances():
    # Groups sit in different strata, so docs/ESTIMATORS.md (e) reduces to Σ (max α_g)² se_g².
    row = _row(compute_index(_survey_inputs(), draws=200), "A")
    g = row.groups
    var = (10 * 0.4 * g["leader"].se) ** 2 + (10 * 0.6 * g["official"].se) ** 2
    assert row.se == pytest.approx(np.sqrt(var), rel=1e-12)


def test_points_se_keeps_covariance_of_groups_sharing_psus():
    records = f.rows("A", "leader", LEADERS_A) + f.rows("A", "official", OFFICIALS_A[:6])
    for i, r in enumerate(records):
        r["psu"] = f"shared{i % 6}"  # leader i and official i answer in the same PSU
    inputs = f.inputs({"A": "cuc"}, records, {"A": 60.0})
    inputs = dataclasses.replace(inputs, responses=_one_stratum(inputs.responses))
    row = _row(compute_index(inputs, draws=200), "A")
    assert row.se == pytest.approx(_direct_points_se(inputs.responses), rel=1e-12)


def _one_stratum(r):
    return dataclasses.replace(r, stratum=np.full(r.n, "S"))


def _direct_points_se(r):
    """The linear combination's z built by hand from the respondent scores."""
    design = make_design(r.n, r.weight, r.stratum, r.psu)
    score = respondent_scores(item_fractions(r.answers, [f.SCALE, f.SCALE]))
    z = np.zeros(r.n)
    for g, alpha in (("leader", 0.4), ("official", 0.6)):
        d = (r.group == g) & ~np.isnan(score)
        w = np.where(d, r.weight, 0.0)
        mean = (w * np.where(d, score, 0)).sum() / w.sum()
        z += 10 * alpha * w * (np.where(d, score, 0) - mean) / w.sum()
    return float(np.sqrt(psu_variance(design, z)))


def test_scaling_all_weights_changes_nothing():
    base = _survey_inputs()
    scaled = dataclasses.replace(
        base, responses=dataclasses.replace(base.responses, weight=base.responses.weight * 3.7)
    )
    a, b = compute_index(base, draws=200), compute_index(scaled, draws=200)
    for ra, rb in zip(a.subcriteria, b.subcriteria, strict=True):
        assert rb.points == pytest.approx(ra.points, rel=1e-12)
        assert (rb.se or 0) == pytest.approx(ra.se or 0, rel=1e-12)
    for ua, ub in zip(a.units, b.units, strict=True):
        assert ub.index == pytest.approx(ua.index, rel=1e-12)
        assert ub.index_se == pytest.approx(ua.index_se, rel=1e-12)


def test_index_se_is_points_se_scaled_to_percent():
    sets = (f.criteria_set(self_max=30.0, survey_max=20.0),)
    inputs = _survey_inputs(self_points={"A": 25.0, "B": 20.0}, sets=sets)
    unit = _unit(compute_index(inputs, draws=200), "A")
    assert unit.index_se == pytest.approx(unit.survey_se * 100 / 50, rel=1e-12)
    assert unit.index_ci_high - unit.index == pytest.approx(unit.index - unit.index_ci_low)
