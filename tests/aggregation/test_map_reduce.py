"""Any split of the responses into chunks, merged in any order, gives the one-pass result."""

from __future__ import annotations

import numpy as np
import pytest

from aggregation.design import DesignError, psu_variance
from aggregation.raking import fit_raking, joint_cells, make_margins, rake_scores, raked_weights
from aggregation.reduce import reduce_sums
from aggregation.sufficient import (
    Chunk,
    Layout,
    PartialSums,
    map_cell_totals,
    map_chunk,
    merge_sums,
)
from tests.reference import ITEMS, close


@pytest.fixture(scope="module")
def setup(survey, design, raking_spec):
    margins = make_margins(raking_spec.names, raking_spec.levels, raking_spec.targets)
    cell = joint_cells(raking_spec.codes, [len(lv) for lv in raking_spec.levels])
    layout = Layout(len(survey["units"]), len(ITEMS), design.psu_stratum, cell.max() + 1)
    chunk = Chunk(survey["unit"], design.psu, design.weight, survey["answers"], cell)
    return layout, chunk, margins


def _random_chunks(chunk: Chunk, seed: int) -> list[Chunk]:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(chunk.unit.shape[0])
    cuts = np.sort(rng.choice(np.arange(1, perm.size), size=rng.integers(2, 12), replace=False))
    return [chunk.take(part) for part in np.split(perm, cuts)]


def _tree_merge(parts: list[PartialSums], rng) -> PartialSums:
    parts = list(parts)
    while len(parts) > 1:
        i, j = sorted(rng.choice(len(parts), 2, replace=False))
        parts.append(parts.pop(j).merge(parts.pop(i)))
    return parts[0]


def _run(layout, chunks, margins, seed):
    rng = np.random.default_rng(seed)
    fit, factor = None, None
    if margins is not None:
        totals = [map_cell_totals(layout, c) for c in chunks]
        merged = totals[0]
        for t in totals[1:]:
            merged = merged.merge(t)
        fit = fit_raking(margins, merged.weight, merged.rows)
        factor = fit.factor
    sums = _tree_merge([map_chunk(layout, c, factor) for c in chunks], rng)
    return reduce_sums(layout, sums, raking=fit)


@pytest.mark.parametrize("raked", [False, True], ids=["base", "raked"])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_any_chunk_split_gives_the_one_pass_result(setup, raked, seed):
    layout, chunk, margins = setup
    margins = margins if raked else None
    one = _run(layout, [chunk], margins, seed).rows()
    many = _run(layout, _random_chunks(chunk, seed), margins, seed).rows()
    compared = 0
    for section, rows in one.items():
        for a, b in zip(rows, many[section], strict=True):
            for field, value in a.items():
                assert close(b[field], value, rel=1e-12, abs_=1e-12), (section, field, a)
                compared += 1
    assert compared > 10_000


def test_merge_of_nothing_is_refused():
    with pytest.raises(ValueError, match="no partial sums"):
        merge_sums([])


def test_row_level_rake_scores_agree_with_the_cell_sum_route(survey, design, setup, raked_result):
    layout, chunk, margins = setup
    cell_rows = np.bincount(chunk.cell, minlength=layout.n_cells)
    fit = fit_raking(margins, np.bincount(chunk.cell, design.weight, layout.n_cells), cell_rows)
    w = raked_weights(design.weight, chunk.cell, fit)
    y = survey["answers"][:, 0]
    d = (survey["unit"] == 3) & ~np.isnan(y)
    mean = np.sum(w[d] * y[d]) / np.sum(w[d])
    z = np.where(d, w * (np.nan_to_num(y) - mean), 0.0) / np.sum(w[d])
    se = float(np.sqrt(psu_variance(design, rake_scores(z, design.weight, chunk.cell, fit))))
    row = next(r for r in raked_result.means if (r.item, r.unit) == ("q1", survey["units"][3]))
    assert row.mean == pytest.approx(mean, rel=1e-12)
    assert row.se == pytest.approx(se, rel=1e-10)


def test_chunk_with_a_code_outside_the_layout_is_refused(setup):
    layout, chunk, _ = setup
    bad = Chunk(chunk.unit + layout.n_units, chunk.psu, chunk.weight, chunk.answers)
    with pytest.raises(DesignError, match="unit codes must lie in"):
        map_chunk(layout, bad)


def test_partial_sums_survive_a_round_trip_through_plain_arrays(setup):
    layout, chunk, _ = setup
    sums = map_chunk(layout, chunk)
    again = PartialSums(**{k: v.copy() for k, v in sums.as_arrays().items()})
    assert reduce_sums(layout, again).rows() == reduce_sums(layout, sums).rows()
