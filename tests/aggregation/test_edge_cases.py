"""Bad or degenerate input: a documented value with a reason, or a clear ValueError."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aggregation import estimates as R
from aggregation.design import DesignError, make_design
from aggregation.domains import RakingSpec, estimate_domains
from aggregation.raking import RakingError, fit_raking, make_margins

REASON_OF = {
    "mean": "mean_reason", "se": "mean_reason", "ci_low": "ci_reason", "ci_high": "ci_reason",
    "deff": "deff_reason", "n_eff_design": "deff_reason", "kish_deff": "mean_reason",
    "p": "logit_reason", "logit_low": "logit_reason", "logit_high": "logit_reason",
    "beta_low": "beta_reason", "beta_high": "beta_reason", "beta_n_eff": "beta_reason",
    "sd": "sd_reason", "kish_neff": "kish_reason",
}  # fmt: skip


def _reason_field(row, field: str) -> str:
    if isinstance(row, R.UnweightedRow):
        return "sd_reason"  # n = 0 nulls the mean too; the reason says "no answers"
    if isinstance(row, R.ProportionRow) and field == "se":
        return "logit_reason"
    return REASON_OF[field]


def assert_every_null_explained(result):
    rows = result.means + result.proportions + result.unweighted + result.kish
    for row in rows:
        for field, value in dataclasses.asdict(row).items():
            assert not (isinstance(value, float) and np.isnan(value)), (row, field)
            if value is None and field in REASON_OF:
                assert getattr(row, _reason_field(row, field)), (row, field)
    return rows


def small(y, unit=None, weights=None, strata=None, psu=None, **kwargs):
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    unit = np.zeros(n, np.int64) if unit is None else np.asarray(unit)
    design = make_design(n, weights, strata, psu)
    labels = [f"U{u}" for u in range(int(unit.max()) + 1)]
    result = estimate_domains(design, unit, y[:, None], units=labels, items=["y"], **kwargs)
    assert_every_null_explained(result)
    return result


def row(rows, unit="U0"):
    return next(r for r in rows if r.unit == unit)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_weight_zero_negative_or_missing_is_refused_naming_the_row(bad):
    w = np.array([1.0, 2.0, bad, 1.0])
    with pytest.raises(DesignError, match=r"1 weight\(s\) are missing, zero or negative .*row 2"):
        small([1, 2, 3, 4], weights=w)


def test_empty_domain_reports_null_mean_with_a_reason():
    result = small([1, 2, np.nan, np.nan], unit=[0, 0, 1, 1], weights=[1.5, 2, 3, 1])
    mean, prop = row(result.means, "U1"), row(result.proportions, "U1")
    unw = row(result.unweighted, "U1")
    assert (mean.n, mean.mean, mean.se, mean.mean_reason) == (0, None, None, R.NO_ANSWERS)
    assert (prop.p, prop.logit_reason) == (None, R.NO_ANSWERS)
    assert (unw.mean, unw.sd_reason) == (None, R.NO_ANSWERS)


def test_lonely_psu_stratum_matches_r_adjust():
    # R 4.2 / survey 4.1-1, options(survey.lonely.psu = "adjust"): stratum 3 has one PSU.
    #   svyby(~y, ~unit, svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE), svymean)
    result = small(
        [1, 3, 4, 5, 2, 4, 5, 1, 3, 2],
        unit=[0, 0, 1, 1, 0, 1, 0, 1, 0, 1],
        weights=[1, 2, 1.5, 3, 2, 1, 2.5, 1, 4, 2],
        strata=[1, 1, 1, 1, 2, 2, 2, 2, 3, 3],
        psu=[1, 1, 2, 2, 1, 1, 2, 2, 1, 1],
    )
    expected = {"U0": (3.0869565217391304, 0.63677892692407712, 2.0737979055869289),
                "U1": (3.5294117647058822, 0.78521557485842808, 2.8099967259631136),
                "_ALL_": (3.275, 0.52636504086992719, 2.85077974276527435)}  # fmt: skip
    for unit, (mean, se, deff) in expected.items():
        got = row(result.means, unit)
        assert (got.mean, got.se, got.deff) == pytest.approx((mean, se, deff), rel=1e-12)
    assert result.df == 2


@pytest.mark.parametrize("value", [3.0, 0.1, 2.7])
def test_all_answers_equal_gives_exactly_zero_se_and_null_deff(value):
    weights = [0.3, 1.7, 3.1, 0.9, 2.3]
    result = small([value] * 5, weights=weights, psu=[1, 1, 2, 2, 3])
    got = row(result.means)
    assert (got.mean, got.se, got.ci_low, got.ci_high) == (value, 0.0, value, value)
    assert (got.deff, got.n_eff_design, got.deff_reason) == (None, None, R.ALL_EQUAL)


@pytest.mark.parametrize("y, p", [([1, 2, 3, 2], 0.0), ([4, 5, 5, 4], 1.0)])
def test_proportion_at_zero_or_one_has_no_interval_and_says_why(y, p):
    got = row(small(y, weights=[1, 2, 3, 4], psu=[1, 1, 2, 2]).proportions)
    assert (got.p, got.se) == (p, 0.0)
    assert (got.logit_low, got.logit_high, got.logit_reason) == (None, None, R.P_AT_BOUND)
    assert (got.beta_low, got.beta_high, got.beta_reason) == (None, None, R.P_AT_BOUND)


def test_unit_in_one_psu_per_stratum_has_no_korn_graubard_interval():
    result = small([1, 5, 4, 2, 5, 1], unit=[0, 0, 1, 1, 1, 1], weights=[1, 2, 3, 4, 5, 6],
                   strata=[1, 1, 1, 1, 1, 1], psu=[1, 1, 2, 2, 3, 3])  # fmt: skip
    got = row(result.proportions)
    assert (got.beta_degf, got.beta_low, got.beta_reason) == (0, None, R.NO_UNIT_DF)
    assert got.logit_low is not None and row(result.proportions, "U1").beta_low is not None


def test_single_answer_has_no_deff_and_no_sd():
    result = small([2, 4, 5], unit=[0, 1, 1], weights=[2, 3, 4])
    assert row(result.means).deff_reason == R.ONE_ANSWER
    assert (row(result.unweighted).sd, row(result.unweighted).sd_reason) == (None, R.ONE_ANSWER)


def test_unit_weights_leave_deff_undefined_as_in_r():
    got = row(small([1, 2, 4, 5]).means)
    assert (got.deff, got.deff_reason) == (None, R.WEIGHTS_TOO_SMALL)


def test_design_without_degrees_of_freedom_has_no_interval():
    result = small([1, 2, 4, 5], weights=[2, 2, 2, 2], strata=[1, 1, 2, 2], psu=[1, 1, 1, 1])
    got = row(result.means)
    assert result.df == 0 and result.t_quantile is None
    assert (got.ci_low, got.ci_high, got.ci_reason) == (None, None, R.NO_DESIGN_DF)


def _spec(sex, targets, **kwargs):
    codes = np.array([0 if s == "F" else 1 for s in sex])
    return RakingSpec(("sex",), (codes,), (("F", "M"),), (targets,), **kwargs)


def test_margin_level_without_respondents_is_an_error():
    with pytest.raises(RakingError, match=r"no respondent has it \(empty cell\)"):
        make_margins(["sex"], [["F", "M"]], [{"F": 5, "M": 5, "X": 1}])
    margins = make_margins(["sex"], [["F", "M"]], [{"F": 5, "M": 5}])
    with pytest.raises(RakingError, match="no respondent has sex = 'M'"):
        fit_raking(margins, np.array([3.0, 0.0]), np.array([2, 0]))


def test_sample_level_without_a_margin_or_bad_count_is_an_error():
    with pytest.raises(RakingError, match="sex = 'M' but the margins give no count"):
        small([1, 2], weights=[1, 1], raking=_spec("FM", {"F": 5}))
    with pytest.raises(RakingError, match="must be positive"):
        small([1, 2], weights=[1, 1], raking=_spec("FM", {"F": 5, "M": 0}))


def test_margins_of_different_populations_are_an_error():
    margins = make_margins(["sex", "age"], [["F", "M"], ["a", "b"]],
                           [{"F": 5, "M": 5}, {"a": 5, "b": 6}])  # fmt: skip
    with pytest.raises(RakingError, match="different populations"):
        fit_raking(margins, np.ones(4), np.ones(4))


def test_raking_that_stops_early_says_it_did_not_converge():
    spec = RakingSpec(("sex", "age"), (np.array([0, 0, 1, 1, 0]), np.array([0, 1, 0, 1, 1])),
                      (("F", "M"), ("a", "b")), ({"F": 60, "M": 40}, {"a": 30, "b": 70}),
                      maxit=1)  # fmt: skip
    result = small([1, 2, 3, 4, 5], weights=[1, 2, 3, 4, 5], raking=spec)
    assert result.design == "raked"
    assert (result.raking.iterations, result.raking.converged) == (1, False)
    assert result.raking.max_margin_error > 0
