"""Identities any design-based estimator must satisfy (statsmodels DescrStatsW style)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from aggregation.design import make_design
from aggregation.domains import RakingSpec, estimate_domains
from tests.aggregation.conftest import run
from tests.reference import close

MEAN_FIELDS = ("mean", "se", "ci_low", "ci_high", "kish_deff")
PROP_FIELDS = ("p", "se", "logit_low", "logit_high", "beta_low", "beta_high", "beta_n_eff")


def _assert_fields_equal(rows_a, rows_b, fields, rel=1e-12):
    assert len(rows_a) == len(rows_b) > 0
    for a, b in zip(rows_a, rows_b, strict=True):
        assert (a.item, a.unit) == (b.item, b.unit)
        for f in fields:
            assert close(getattr(a, f), getattr(b, f), rel=rel, abs_=1e-14), (a.item, a.unit, f)


def test_integer_weights_equal_replicated_rows(survey):
    rng = np.random.default_rng(1)
    reps = rng.integers(1, 4, survey["n"])
    weighted = make_design(survey["n"], reps.astype(float), survey["stratum"], survey["psu"])
    rows = np.repeat(np.arange(survey["n"]), reps)
    replicated = make_design(rows.size, None, survey["stratum"][rows], survey["psu"][rows])
    a = run(survey, weighted)
    b = run(dict(survey, unit=survey["unit"][rows], answers=survey["answers"][rows]), replicated)
    # SE, intervals and p agree; deff, Kish and Korn–Graubard's nrow count rows, so they differ.
    _assert_fields_equal(a.means, b.means, ("mean", "se", "ci_low", "ci_high", "sum_w"))
    _assert_fields_equal(a.proportions, b.proportions, ("p", "se", "logit_low", "logit_high"))


def test_scaling_all_weights_changes_only_totals(survey, design, base_result):
    scaled = make_design(survey["n"], design.weight * 7.5, survey["stratum"], survey["psu"])
    result = run(survey, scaled)
    _assert_fields_equal(result.means, base_result.means, MEAN_FIELDS)
    _assert_fields_equal(result.proportions, base_result.proportions, PROP_FIELDS)
    for a, b in zip(result.means, base_result.means, strict=True):
        assert a.sum_w == pytest.approx(7.5 * b.sum_w, rel=1e-12)
        if b.deff is not None:  # deff carries (1 - n/N): a total, so it moves with the scale
            expected = b.deff * (1 - b.n / b.sum_w) / (1 - b.n / a.sum_w)
            assert a.deff == pytest.approx(expected, rel=1e-9)


def test_scaling_base_weights_leaves_the_raked_design_unchanged(survey, raking_spec, raked_result):
    scaled = make_design(survey["n"], survey["weight"] * 0.01, survey["stratum"], survey["psu"])
    result = run(survey, scaled, raking=raking_spec)
    _assert_fields_equal(result.means, raked_result.means, MEAN_FIELDS + ("sum_w", "deff"), 1e-10)
    _assert_fields_equal(result.proportions, raked_result.proportions, PROP_FIELDS, 1e-10)


def test_permuting_rows_changes_nothing(survey, base_result, raked_result, raking_spec):
    perm = np.random.default_rng(2).permutation(survey["n"])
    shuffled = dict(survey, unit=survey["unit"][perm], answers=survey["answers"][perm])
    design = make_design(
        survey["n"], survey["weight"][perm], survey["stratum"][perm], survey["psu"][perm]
    )
    spec = RakingSpec(raking_spec.names, tuple(c[perm] for c in raking_spec.codes),
                      raking_spec.levels, raking_spec.targets)  # fmt: skip
    for ours, theirs in ((run(shuffled, design), base_result),
                         (run(shuffled, design, raking=spec), raked_result)):  # fmt: skip
        _assert_fields_equal(ours.means, theirs.means, MEAN_FIELDS + ("sum_w", "deff"))
        _assert_fields_equal(ours.proportions, theirs.proportions, PROP_FIELDS)


def test_one_stratum_one_respondent_per_psu_unit_weights_is_the_classical_t_interval():
    y = np.random.default_rng(3).integers(1, 6, 37).astype(float)
    result = estimate_domains(make_design(37), np.zeros(37), y[:, None], units=["U"], items=["y"])
    row = next(r for r in result.means if r.unit == "_ALL_")
    expected = stats.ttest_1samp(y, 0).confidence_interval(0.95)
    assert result.df == 36
    assert row.mean == pytest.approx(y.mean(), rel=1e-13)
    assert row.se == pytest.approx(stats.sem(y), rel=1e-12)
    assert (row.ci_low, row.ci_high) == pytest.approx((expected.low, expected.high), rel=1e-12)
    unweighted = next(r for r in result.unweighted if r.unit == "_ALL_")
    assert (unweighted.ci_low, unweighted.ci_high) == pytest.approx((row.ci_low, row.ci_high))
