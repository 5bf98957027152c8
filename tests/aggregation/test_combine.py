"""Linear combinations of domain means keep shared respondents' covariance (ESTIMATORS e)."""

from __future__ import annotations

import numpy as np
import pytest

from aggregation.combine import (
    combine_means,
    covariance_from_totals,
    linear_combination,
    linear_combination_from_totals,
)
from aggregation.design import DesignError, linearised_mean, psu_variance_from_totals
from aggregation.domains import estimate_domains


def test_a_single_term_reproduces_the_mean_and_its_se(base_result):
    row = next(r for r in base_result.means if (r.item, r.unit) == ("q3", "U07"))
    combo = combine_means(base_result.scores, [("q3", "U07")], [1.0])
    assert combo.estimate == pytest.approx(row.mean, rel=1e-14)
    assert combo.se == pytest.approx(row.se, rel=1e-12)
    assert (combo.ci_low, combo.ci_high) == pytest.approx((row.ci_low, row.ci_high), rel=1e-12)


def test_average_of_two_items_equals_the_mean_of_their_average(survey, design):
    both = ~np.isnan(survey["answers"][:, :2]).any(axis=1)
    q = np.where(both[:, None], survey["answers"][:, :2], np.nan)
    answers = np.column_stack([q, q.mean(axis=1)])
    result = estimate_domains(
        design, survey["unit"], answers, units=survey["units"], items=["q1", "q2", "avg"]
    )
    for unit in ("U05", "_ALL_"):
        combo = combine_means(result.scores, [("q1", unit), ("q2", unit)], [0.5, 0.5])
        direct = next(r for r in result.means if (r.item, r.unit) == ("avg", unit))
        assert combo.estimate == pytest.approx(direct.mean, rel=1e-13)
        assert combo.se == pytest.approx(direct.se, rel=1e-11)


def test_covariance_diagonal_and_quadratic_form_agree_with_the_psu_formula(base_result):
    s = base_result.scores
    z = np.column_stack([s.z_mean[0, 4], s.z_mean[1, 4], s.z_mean[2, 9]])
    cov = covariance_from_totals(z, s.psu_stratum)
    assert np.diag(cov) == pytest.approx(psu_variance_from_totals(z, s.psu_stratum), rel=1e-12)
    c = np.array([0.3, 0.7, -1.2])
    combo = linear_combination_from_totals(np.ones(3), z, s.psu_stratum, c, df=s.df)
    assert combo.se**2 == pytest.approx(c @ cov @ c, rel=1e-12)
    assert abs(cov[0, 1]) > 0  # items of the same respondents covary


def test_row_level_and_map_reduce_routes_agree(survey, design, base_result):
    d1 = (survey["unit"] == 2) & ~np.isnan(survey["answers"][:, 0])
    d2 = (survey["unit"] == 2) & ~np.isnan(survey["answers"][:, 5])
    terms = [linearised_mean(design, survey["answers"][:, 0], d1),
             linearised_mean(design, survey["answers"][:, 5], d2)]  # fmt: skip
    row_level = linear_combination(design, terms, [2.0, -1.0])
    unit = survey["units"][2]
    reduced = combine_means(base_result.scores, [("q1", unit), ("q6", unit)], [2.0, -1.0])
    assert row_level.estimate == pytest.approx(reduced.estimate, rel=1e-13)
    assert row_level.se == pytest.approx(reduced.se, rel=1e-11)
    assert row_level.z_hi == pytest.approx(reduced.z_hi, rel=1e-9, abs=1e-15)


def test_combination_of_a_raked_design_uses_the_raked_scores(raked_result):
    row = next(r for r in raked_result.means if (r.item, r.unit) == ("q2", "_ALL_"))
    combo = combine_means(raked_result.scores, [("q2", "_ALL_")], [1.0])
    assert combo.se == pytest.approx(row.se, rel=1e-12)


def test_combination_with_an_unknown_label_or_wrong_length_is_refused(base_result):
    with pytest.raises(KeyError, match="no estimate for item 'q9'"):
        combine_means(base_result.scores, [("q9", "U01")], [1.0])
    with pytest.raises(DesignError, match="2 coefficients for 1 estimates"):
        combine_means(base_result.scores, [("q1", "U01")], [1.0, 2.0])
