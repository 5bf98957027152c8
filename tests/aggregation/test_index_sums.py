"""The index from sums of any split of the responses equals the index from one pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aggregation.index import compute_index
from aggregation.inputs import Responses
from aggregation.sums import IndexSums, _row_codes, map_responses, merge
from survey_app.cli import index_inputs as load
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def inputs():
    from aggregation.inputs import IndexInputs

    scales = load.load_questionnaire(EXAMPLES / "questionnaire.yaml")
    return IndexInputs(
        criteria_sets=tuple(
            load.load_criteria_set(EXAMPLES / f"criteria_set_{k}.yaml") for k in ("cuc", "vu")
        ),
        units=load.load_units(EXAMPLES / "units.csv"),
        item_scales=scales,
        responses=load.load_responses(EXAMPLES / "responses.csv", scales),
        self_scores=load.load_self_scores(EXAMPLES / "self_assessment.csv"),
        previous=load.load_previous(EXAMPLES / "previous.csv"),
    )


def _take(r: Responses, rows: np.ndarray) -> Responses:
    return Responses(
        r.unit[rows],
        r.group[rows],
        r.stratum[rows],
        r.psu[rows],
        r.weight[rows],
        r.items,
        r.answers[rows],
    )


def _chunks(inputs, n_chunks: int, seed: int) -> IndexSums:
    r = inputs.responses
    order = np.random.default_rng(seed).permutation(r.n)
    cuts = np.sort(
        np.random.default_rng(seed + 1).choice(np.arange(1, r.n), n_chunks - 1, replace=False)
    )
    return merge(
        map_responses(inputs.criteria_sets, inputs.item_scales, _take(r, part))
        for part in np.split(order, cuts)
    )


def _close(a, b):
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize(("n_chunks", "seed"), [(2, 1), (7, 2), (60, 3)])
def test_any_split_into_chunks_gives_the_one_pass_figures(inputs, n_chunks, seed):
    one = compute_index(inputs, draws=200)
    empty = dataclasses.replace(inputs, responses=_take(inputs.responses, np.array([], int)))
    split = compute_index(empty, sums=_chunks(inputs, n_chunks, seed), draws=200)
    assert split.df == one.df
    for a, b in zip(one.units, split.units, strict=True):
        assert a.unit == b.unit and a.rank == b.rank
        assert (a.rank_low, a.rank_high) == (b.rank_low, b.rank_high)
        for field in ("index", "index_se", "survey_points", "survey_se"):
            assert _close(getattr(a, field), getattr(b, field)), (a.unit, field)
    for a, b in zip(one.subcriteria, split.subcriteria, strict=True):
        assert _close(a.points, b.points) and (a.se is None or _close(a.se, b.se))


def test_partial_sums_survive_serialisation(inputs):
    sums = map_responses(inputs.criteria_sets, inputs.item_scales, inputs.responses)
    back = IndexSums.from_bytes(sums.to_bytes())
    assert back.n_responses == sums.n_responses
    np.testing.assert_array_equal(back.sum_wy, sums.sum_wy)
    np.testing.assert_array_equal(back.keys["psu"], sums.keys["psu"])
    np.testing.assert_array_equal(back.psus, sums.psus)


@pytest.mark.parametrize(("n_rows", "seed"), [(1, 1), (40, 2), (5000, 3)])
def test_merge_codes_key_rows_as_a_sort_of_whole_rows_would(n_rows, seed):
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, k, n_rows) for k in (1, 3, 40, 2, 7, 900)]
    rows = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)[1]
    np.testing.assert_array_equal(_row_codes(columns), rows.reshape(-1))
