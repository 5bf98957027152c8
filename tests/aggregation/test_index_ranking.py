"""Ranks within a kind (ties share the better rank) and simulated rank intervals."""

from __future__ import annotations

import numpy as np

from aggregation import flags
from aggregation.design import make_design, psu_totals, psu_variance_from_totals
from aggregation.ranking import (
    competition_ranks,
    index_covariance,
    overlapping_neighbours,
    rank_intervals,
)
from tests.aggregation import index_factories as f
from tests.aggregation.index_factories import compute_index

NAN = float("nan")


def test_equal_indices_share_the_better_rank():
    assert competition_ranks(np.array([85.0, 90.0, 85.0, 80.0])).tolist() == [2, 1, 2, 4]


def test_indices_equal_up_to_float_noise_are_tied():
    assert competition_ranks(np.array([81.88, 81.87999999999999, 70.0])).tolist() == [1, 1, 3]


def test_units_of_each_kind_are_ranked_separately():
    units = {"C1": "cuc", "C2": "cuc", "V1": "vu", "V2": "vu"}
    own = {"C1": 70.0, "C2": 75.0, "V1": 50.0, "V2": 50.0}
    result = compute_index(f.inputs(units, f.full_marks(units), own), draws=100)
    ranks = {u.unit: u.rank for u in result.units}
    assert ranks == {"C1": 2, "C2": 1, "V1": 1, "V2": 1}


def test_without_sampling_error_the_rank_interval_is_the_rank():
    rng = np.random.default_rng(1)
    ri = rank_intervals(np.array([70.0, 80.0, 80.0]), np.zeros((3, 3)), rng, draws=50)
    assert ri.rank.tolist() == ri.low.tolist() == ri.high.tolist() == [3, 1, 1]


def test_rank_interval_widens_for_close_noisy_units():
    est, cov = np.array([80.0, 79.9, 60.0]), np.diag([1.0, 1.0, 1.0])
    ri = rank_intervals(est, cov, np.random.default_rng(7), draws=4000)
    assert (ri.low.tolist(), ri.high.tolist()) == ([1, 1, 3], [2, 2, 3])


def test_rank_interval_is_reproducible_with_the_seed_and_contains_the_rank():
    result_a, result_b = (compute_index(_noisy_inputs(), seed=11, draws=2000) for _ in range(2))
    got_a = [(u.rank, u.rank_low, u.rank_high) for u in result_a.units]
    assert got_a == [(u.rank, u.rank_low, u.rank_high) for u in result_b.units]
    assert all(low <= rank <= high for rank, low, high in got_a)
    assert any(low < high for _, low, high in got_a)  # the noise does reach the ranks


def test_overlapping_neighbours_are_flagged():
    result = compute_index(_noisy_inputs(), draws=500)
    by_unit = {u.unit: u for u in result.units}
    overlap = flags.OVERLAPS_NEIGHBOUR
    assert overlap in by_unit["A"].flags and overlap in by_unit["B"].flags
    assert overlap not in by_unit["C"].flags  # far below the others


def _noisy_inputs():
    units = {"A": "cuc", "B": "cuc", "C": "cuc"}
    answers = [(4, 3), (3, 2), (2, 2), (4, 4), (3, NAN), (1, 2), (4, 3)]
    records = [r for u in units for g in ("leader", "official") for r in f.rows(u, g, answers)]
    return f.inputs(units, records, {"A": 70.0, "B": 69.8, "C": 40.0})


def test_covariance_of_units_sharing_psus_is_the_variance_of_their_sum():
    design = make_design(6, strata=np.zeros(6), psu=[0, 0, 1, 1, 2, 2])
    z = np.column_stack([[0.3, 0.0, -0.1, 0.0, -0.2, 0.0], [0.0, 0.2, 0.0, 0.1, 0.0, -0.3]])
    z_hi = psu_totals(design, z)

    def variance(t):
        return psu_variance_from_totals(t, design.psu_stratum)

    cov = index_covariance(variance, z_hi)
    np.testing.assert_allclose(np.ones(2) @ cov @ np.ones(2), variance(z_hi.sum(axis=1)))
    assert cov[0, 1] != 0.0


def test_overlap_considers_only_adjacent_ranks():
    rank = np.array([1, 2, 3])
    low, high = np.array([90.0, 85.0, 60.0]), np.array([95.0, 91.0, 65.0])
    assert overlapping_neighbours(rank, low, high).tolist() == [True, True, False]
