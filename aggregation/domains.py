"""One-call domain estimates over in-memory arrays, built on the map/reduce of ``sufficient``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from aggregation.design import Design, DesignError
from aggregation.estimates import ALL, EstimateSet
from aggregation.raking import RakingFit, fit_raking, joint_cells, make_margins
from aggregation.reduce import reduce_sums
from aggregation.sufficient import Chunk, Layout, map_cell_totals, map_chunk, merge_sums


@dataclass(frozen=True)
class RakingSpec:
    """Raking variables of the respondents and their population margins (docs/ESTIMATORS.md (b)).

    Attributes
    ----------
    names : tuple of str
        Variables in raking order (``rake(des, list(~sex, ~age_band), …)``).
    codes : tuple of ndarray of int, each shape (n,)
        Level code of every respondent for each variable.
    levels : tuple of tuple of str
        Labels of those codes.
    targets : tuple of mapping str → float
        Population count per label.
    """

    names: tuple[str, ...]
    codes: tuple[np.ndarray, ...]
    levels: tuple[tuple[str, ...], ...]
    targets: tuple[Mapping[str, float], ...]
    maxit: int = 100
    epsilon: float = 1e-12


def estimate_domains(
    design: Design,
    unit: np.ndarray,
    answers: np.ndarray,
    *,
    units: Sequence[str],
    items: Sequence[str],
    raking: RakingSpec | None = None,
    satisfied_min: float = 4.0,
    level: float = 0.95,
    chunk_rows: int | None = None,
) -> EstimateSet:
    """Means, proportions, unweighted and Kish figures per unit and ``_ALL_``.

    Parameters
    ----------
    design : Design
        From :func:`aggregation.design.make_design`; its weights are the base weights.
    unit : ndarray of int, shape (n,)
        Unit code ``0 .. len(units) - 1`` of every respondent.
    answers : ndarray, shape (n, len(items))
        Item values, nan where not answered.
    raking : RakingSpec, optional
        Rake the base weights to these margins (the raked design); None: base design.
    chunk_rows : int, optional
        Map in chunks of this many rows (the result does not depend on it).
    """
    unit = np.asarray(unit, dtype=np.int64)
    answers = np.asarray(answers, dtype=float)
    if answers.shape != (design.n, len(items)) or unit.shape != (design.n,):
        raise DesignError(
            f"expected {design.n} units and {design.n} x {len(items)} answers, "
            f"got {unit.shape[0]} and {' x '.join(map(str, answers.shape))}"
        )
    if ALL in units:
        raise DesignError(f"{ALL} is reserved for the whole sample and cannot name a unit")
    margins, cell = _raking_cells(raking)
    n_cells = 1 if margins is None else margins[0].cell_level.shape[0]
    layout = Layout(
        len(units), len(items), design.psu_stratum, n_cells, satisfied_min,
        design.psu_fraction, design.ssu_psu, design.ssu_fraction,
    )  # fmt: skip
    whole = Chunk(unit, design.psu, design.weight, answers, cell, design.ssu)
    chunks = list(_chunks(whole, chunk_rows))
    fit: RakingFit | None = None
    if margins is not None:
        totals = [map_cell_totals(layout, c) for c in chunks]
        merged = totals[0]
        for t in totals[1:]:
            merged = merged.merge(t)
        fit = fit_raking(margins, merged.weight, merged.rows, raking.maxit, raking.epsilon)
    factor = None if fit is None else fit.factor
    sums = merge_sums(map_chunk(layout, c, factor) for c in chunks)
    # The reduce needs only the sums: without other references (the CLI keeps none) the
    # rows are freed here and the reduce's arrays reuse their memory.
    del design, unit, answers, cell, whole, chunks
    return reduce_sums(layout, sums, raking=fit, level=level, units=units, items=items)


def _raking_cells(raking: RakingSpec | None):
    if raking is None:
        return None, None
    margins = make_margins(raking.names, raking.levels, raking.targets)
    n_levels = [len(levels) for levels in raking.levels]
    return margins, joint_cells(raking.codes, n_levels).astype(np.int64)


def _chunks(chunk: Chunk, size: int | None) -> Iterator[Chunk]:
    n = chunk.unit.shape[0]
    if size is not None and size <= 0:
        raise DesignError("chunk_rows must be positive")
    step = n if not size else size
    for start in range(0, max(n, 1), max(step, 1)):
        yield chunk.take(slice(start, start + step))
