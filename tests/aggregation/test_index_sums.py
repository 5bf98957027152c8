"""The index from sums of any split of the responses equals the index from one pass."""

from __future__ import annotations

import numpy as np
import pytest

from aggregation import index
from aggregation.inputs import Responses
from aggregation.sums import IndexSums, map_responses, merge
from aggregation.survey import reduce_survey
from tests.aggregation.index_factories import compute_index, example_case


@pytest.fixture(scope="module")
def inputs():
    return example_case(previous=True)


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
    return merge(map_responses(inputs, _take(r, part)) for part in np.split(order, cuts))


def _close(a, b):
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize(("n_chunks", "seed"), [(2, 1), (7, 2), (60, 3)])
def test_any_split_into_chunks_gives_the_one_pass_figures(inputs, n_chunks, seed):
    one = compute_index(inputs, draws=200)
    split = index.compute_index(inputs, reduce_survey(_chunks(inputs, n_chunks, seed)), draws=200)
    assert split.df == one.df
    for a, b in zip(one.units, split.units, strict=True):
        assert a.unit == b.unit and a.rank == b.rank
        assert (a.rank_low, a.rank_high) == (b.rank_low, b.rank_high)
        for field in ("index", "index_se", "survey_points", "survey_se"):
            assert _close(getattr(a, field), getattr(b, field)), (a.unit, field)
    for a, b in zip(one.subcriteria, split.subcriteria, strict=True):
        assert _close(a.points, b.points) and (a.se is None or _close(a.se, b.se))


def test_partial_sums_survive_serialisation(inputs):
    sums = map_responses(inputs, inputs.responses)
    back = IndexSums.from_bytes(sums.to_bytes())
    assert back.n_responses == sums.n_responses
    for name in ("items", "domains", "psus", "strata", "stratum_n"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sums, name))
    for name, value in sums.sums.as_arrays().items():
        np.testing.assert_array_equal(getattr(back.sums, name), value, err_msg=name)


def test_chunks_that_see_different_units_and_psus_merge_on_their_union(inputs):
    r = inputs.responses
    first, second = np.flatnonzero(r.unit < "V"), np.flatnonzero(r.unit >= "V")
    parts = [map_responses(inputs, _take(r, rows)) for rows in (second, first)]
    assert not set(map(tuple, parts[0].psus.tolist())) & set(map(tuple, parts[1].psus.tolist()))
    merged = merge(parts)
    whole = map_responses(inputs, r)
    np.testing.assert_array_equal(merged.domains, whole.domains)
    np.testing.assert_array_equal(merged.psus, whole.psus)
    for name, value in whole.sums.as_arrays().items():
        np.testing.assert_allclose(getattr(merged.sums, name), value, rtol=1e-13, err_msg=name)


def _factored(r: Responses, rng: np.random.Generator) -> Responses:
    """``r`` with every design column also given as (labels, codes): labels in a random
    order, with one no row has (as a dictionary of a wider column would)."""
    factors = {}
    for name in ("unit", "group", "stratum", "psu"):
        labels, codes = np.unique(getattr(r, name), return_inverse=True)
        labels = np.append(labels, "not-in-these-rows")
        shuffle = rng.permutation(labels.shape[0])
        position = np.empty_like(shuffle)
        position[shuffle] = np.arange(shuffle.shape[0])
        factors[name] = (labels[shuffle], position[codes.reshape(-1)])
    return Responses(r.unit, r.group, r.stratum, r.psu, r.weight, r.items, r.answers, factors)


@pytest.mark.parametrize("element", [False, True])
def test_columns_given_with_their_codes_map_to_the_same_sums(inputs, element):
    r = inputs.responses
    plain = map_responses(inputs, r, element=element)
    coded = map_responses(inputs, _factored(r, np.random.default_rng(5)), element=element)
    for name in ("items", "domains", "psus", "strata", "stratum_n", "blocks", "moments"):
        np.testing.assert_array_equal(getattr(coded, name), getattr(plain, name), err_msg=name)
    for name, value in plain.sums.as_arrays().items():
        np.testing.assert_array_equal(getattr(coded.sums, name), value, err_msg=name)


def test_an_unknown_group_is_named_the_same_with_codes(inputs):
    from aggregation.inputs import IndexInputError

    r = inputs.responses
    group = r.group.copy()
    group[[3, 10]] = ["zz-unknown", "aa-unknown"]
    bad = Responses(r.unit, group, r.stratum, r.psu, r.weight, r.items, r.answers)
    with pytest.raises(IndexInputError) as plain:
        map_responses(inputs, bad)
    with pytest.raises(IndexInputError) as coded:
        map_responses(inputs, _factored(bad, np.random.default_rng(6)))
    assert str(coded.value) == str(plain.value)
