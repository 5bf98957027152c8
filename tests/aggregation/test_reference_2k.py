"""Every row and numeric field of reference_2k.json (R survey 4.1-1), through the public API."""

from __future__ import annotations

import pytest

from aggregation import estimates as R
from tests.reference import R_NOISE_ROW, mismatches, row_key


@pytest.mark.parametrize("section", ["means", "proportions", "kish"])
def test_base_design_matches_r_survey(section, base_result, reference):
    ref = [r for r in reference[section] if r["design"] == "base"]
    assert ref
    assert mismatches(section, base_result.rows()[section], ref) == []


@pytest.mark.parametrize("section", ["means", "proportions", "kish"])
def test_raked_design_matches_r_rake_variance(section, raked_result, reference):
    ref = [r for r in reference[section] if r["design"] == "raked"]
    assert ref
    assert mismatches(section, raked_result.rows()[section], ref) == []


def test_unweighted_t_interval_matches_r_t_test(base_result, reference):
    mine = [dict(r, design="unweighted") for r in base_result.rows()["unweighted"]]
    assert mismatches("unweighted", mine, reference["unweighted"]) == []


def test_rows_are_exactly_those_of_the_reference(base_result, raked_result, reference):
    for section in ("means", "proportions", "kish"):
        ours = len(base_result.rows()[section]) + len(raked_result.rows()[section])
        assert ours == len(reference[section])
    assert len(base_result.unweighted) == len(reference["unweighted"])


def test_design_df_and_t_quantile_match_r(base_result, raked_result, reference):
    meta = reference["meta"]
    for result in (base_result, raked_result):
        assert result.df == meta["degf_design"]
        assert result.t_quantile == pytest.approx(meta["t_quantile"], rel=1e-12)
        assert (result.n_psu, result.n_strata) == (meta["n_psu"], meta["n_strata"])


def test_raking_reaches_the_margins_as_r_does(raked_result):
    fit = raked_result.raking
    assert fit.converged
    assert fit.max_margin_error < 1e-9 * 130860


def test_all_equal_domain_gets_null_deff_where_r_reports_float_noise(base_result, reference):
    _, item, unit = R_NOISE_ROW
    r_row = next(r for r in reference["means"] if row_key("means", r) == R_NOISE_ROW)
    assert r_row["deff"] > 1e30  # R: 0-ish V over 0-ish V_srs
    ours = next(r for r in base_result.means if (r.item, r.unit) == (item, unit))
    assert ours.mean == 4.0 and ours.se == 0.0  # R: 2.7e-16 of rounding
    assert ours.deff is None and ours.n_eff_design is None
    assert ours.deff_reason == R.ALL_EQUAL
    prop = next(r for r in base_result.proportions if (r.item, r.unit) == (item, unit))
    assert prop.p == pytest.approx(1.0) and prop.logit_low is None
    assert prop.logit_reason == R.P_AT_BOUND and prop.beta_reason in (R.P_AT_BOUND, R.NO_UNIT_DF)
