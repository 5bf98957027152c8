"""Mergeable sufficient statistics: map a chunk of responses to partial sums, merge them.

Every estimate of docs/ESTIMATORS.md (a)–(d) is a function of sums per (item, unit, PSU) and per
(item, unit, raking cell), so chunks can be mapped in any process and merged by addition
(min/max for the spread check). A two-stage design with a stage-1 fpc adds sums per
(item, unit, SSU), kept sparse as (key, value) pairs that merge by concatenation; the
reduce adds equal keys, so an SSU split over chunks is summed before it is squared
(docs/ESTIMATORS.md (f)). Raking needs one global pass first: map
:func:`map_cell_totals`, merge, :func:`aggregation.raking.fit_raking`, then map
:func:`map_chunk` with the fitted cell factors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np

from aggregation.design import DesignError, unique_codes


@dataclass(frozen=True)
class Layout:
    """The global coding every chunk shares.

    Attributes
    ----------
    n_units : int
        Domains are unit codes ``0 .. n_units - 1`` (``_ALL_`` is added at reduce).
    n_items : int
    psu_stratum : ndarray of int, shape (n_psu,)
        Stratum of every PSU; PSU codes are global and nested in strata.
    n_cells : int
        Joint raking cells (1 without raking).
    satisfied_min : float
        An answer ``>=`` this counts as satisfied (docs/ESTIMATORS.md (c)).
    psu_fraction, ssu_psu, ssu_fraction : ndarray, optional
        The finite-population and stage-2 fields of :class:`aggregation.design.Design`.
    """

    n_units: int
    n_items: int
    psu_stratum: np.ndarray
    n_cells: int = 1
    satisfied_min: float = 4.0
    psu_fraction: np.ndarray | None = None
    ssu_psu: np.ndarray | None = None
    ssu_fraction: np.ndarray | None = None

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    @property
    def n_ssu(self) -> int:
        return 0 if self.ssu_psu is None else int(self.ssu_psu.shape[0])

    @property
    def second_stage(self) -> bool:
        """R adds stage-2 variance only when stage 1 has an fpc (``svyrecvar``)."""
        return self.ssu_psu is not None and self.psu_fraction is not None


@dataclass(frozen=True)
class Chunk:
    """Some responses: ``m`` rows with global codes.

    Attributes
    ----------
    unit, psu : ndarray of int, shape (m,)
    weight : ndarray, shape (m,)
        Base (sampling) weights.
    answers : ndarray, shape (m, n_items)
        Item values, nan where not answered.
    cell : ndarray of int, shape (m,), optional
        Joint raking cell.
    ssu : ndarray of int, shape (m,), optional
        Global SSU code (two-stage designs).
    """

    unit: np.ndarray
    psu: np.ndarray
    weight: np.ndarray
    answers: np.ndarray
    cell: np.ndarray | None = None
    ssu: np.ndarray | None = None

    def take(self, rows: slice | np.ndarray) -> Chunk:
        """The sub-chunk of ``rows``."""
        cell = None if self.cell is None else self.cell[rows]
        ssu = None if self.ssu is None else self.ssu[rows]
        return Chunk(
            self.unit[rows], self.psu[rows], self.weight[rows], self.answers[rows], cell, ssu
        )


@dataclass(frozen=True)
class PartialSums:
    """Sums over some responses; :meth:`merge` is associative and commutative.

    Shapes: ``I`` items, ``U`` units, ``P`` PSUs, ``C`` raking cells. Weights ``w`` are the
    design's (raked when the chunk was mapped with cell factors), ``d`` marks an answer.

    ``sw, swy, sws`` (I, U, P): Σ d w, Σ d w y, Σ d w sat.
    ``rows`` (U, P): respondents. ``unit_w, unit_w2`` (U,): Σ w, Σ w² over all respondents.
    ``n, swy2, sw2, n_sat, sy, sy2`` (I, U): Σ d, Σ d w y², Σ d w², Σ d sat, Σ d y, Σ d y².
    ``y_min, y_max`` (I, U): extreme answers (±inf where none).
    ``cell_rows`` (C,): respondents; ``psu_cell_base`` (P, C): Σ base weight.
    ``cell_n, cell_y, cell_sat`` (I, U, C): Σ d, Σ d y, Σ d sat.
    Two-stage designs with a stage-1 fpc (else empty, ``K = L = 0``): ``ssu_key`` (K,)
    ``unit · S + ssu`` with ``ssu_sw, ssu_swy, ssu_sws`` (I, K) its Σ d w, Σ d w y,
    Σ d w sat; ``ssu_cell_key`` (L,) ``ssu · C + cell`` with ``ssu_cell_base`` (L,)
    Σ base weight. Keys may repeat; they merge by concatenation. ``sw, swy, sws`` are
    then empty, shape (I, U, 0): they are sums of the keys' sums (an SSU lies in one
    PSU), which the reduce takes once the keys are merged (:func:`per_psu`), so no
    chunk holds both forms.
    """

    sw: np.ndarray
    swy: np.ndarray
    sws: np.ndarray
    rows: np.ndarray
    unit_w: np.ndarray
    unit_w2: np.ndarray
    n: np.ndarray
    swy2: np.ndarray
    sw2: np.ndarray
    n_sat: np.ndarray
    sy: np.ndarray
    sy2: np.ndarray
    y_min: np.ndarray
    y_max: np.ndarray
    cell_rows: np.ndarray
    psu_cell_base: np.ndarray
    cell_n: np.ndarray
    cell_y: np.ndarray
    cell_sat: np.ndarray
    ssu_key: np.ndarray
    ssu_sw: np.ndarray
    ssu_swy: np.ndarray
    ssu_sws: np.ndarray
    ssu_cell_key: np.ndarray
    ssu_cell_base: np.ndarray

    def merge(self, other: PartialSums) -> PartialSums:
        """Sums over the union of both chunks' responses."""
        out = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name.startswith("ssu_"):
                out[f.name] = np.concatenate([a, b], axis=-1)
                continue
            op = {"y_min": np.minimum, "y_max": np.maximum}.get(f.name, np.add)
            out[f.name] = op(a, b)
        return PartialSums(**out)

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Plain dict of arrays (e.g. for ``np.savez`` between worker processes)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Axes of every field: i items, u units, p PSUs, c cells, k sparse SSU keys.
_AXES = {
    "sw": "iup", "swy": "iup", "sws": "iup", "rows": "up", "unit_w": "u", "unit_w2": "u",
    "n": "iu", "swy2": "iu", "sw2": "iu", "n_sat": "iu", "sy": "iu", "sy2": "iu",
    "y_min": "iu", "y_max": "iu", "cell_rows": "c", "psu_cell_base": "pc", "cell_n": "iuc",
    "cell_y": "iuc", "cell_sat": "iuc", "ssu_key": "k", "ssu_sw": "ik", "ssu_swy": "ik",
    "ssu_sws": "ik", "ssu_cell_key": "k", "ssu_cell_base": "k",
}  # fmt: skip
_FILL = {"y_min": np.inf, "y_max": -np.inf}


def relabel(
    sums: PartialSums, unit_to: np.ndarray, n_units: int, psu_to: np.ndarray, n_psu: int
) -> PartialSums:
    """The same sums on wider codes: unit ``u`` becomes ``unit_to[u]``, PSU ``p`` ``psu_to[p]``.

    Lets chunks be mapped on their own codes and merged on the codes of their union
    (``unit_to``, ``psu_to`` are injective). Units and PSUs a chunk did not see get
    zero sums (±inf extremes), as if mapped with no respondent there.

    Raises
    ------
    DesignError
        For stage-2 sums: their keys hold global SSU codes, which a chunk cannot know.
    """
    if sums.ssu_key.size or sums.ssu_cell_key.size:
        raise DesignError("two-stage sums must be mapped on global codes")
    out = {}
    for f in fields(sums):
        a = getattr(sums, f.name)
        axes = _AXES[f.name]
        size = {"u": n_units, "p": n_psu}
        shape = tuple(size.get(ax, a.shape[k]) for k, ax in enumerate(axes))
        b = np.full(shape, _FILL.get(f.name, 0.0), dtype=a.dtype)
        to = {"u": unit_to, "p": psu_to}
        b[np.ix_(*(to.get(ax, np.arange(a.shape[k])) for k, ax in enumerate(axes)))] = a
        out[f.name] = b
    return PartialSums(**out)


def merge_sums(parts: Iterable[PartialSums]) -> PartialSums:
    """Merge any number of partial sums (the reduce's first step)."""
    it = iter(parts)
    try:
        total = next(it)
    except StopIteration:
        raise ValueError("no partial sums to merge") from None
    for part in it:
        total = total.merge(part)
    return total


@dataclass(frozen=True)
class CellTotals:
    """First raking pass: Σ base weight and respondents per joint cell, shape (n_cells,)."""

    weight: np.ndarray
    rows: np.ndarray

    def merge(self, other: CellTotals) -> CellTotals:
        return CellTotals(self.weight + other.weight, self.rows + other.rows)


def map_cell_totals(layout: Layout, chunk: Chunk) -> CellTotals:
    """Base-weight table of the joint raking cells over one chunk (IPF input)."""
    _check_chunk(layout, chunk)
    if chunk.cell is None:
        raise DesignError("raking needs the raking cell of every respondent")
    c = layout.n_cells
    weight = np.bincount(chunk.cell, weights=chunk.weight, minlength=c)
    return CellTotals(weight, np.bincount(chunk.cell, minlength=c).astype(float))


def map_chunk(layout: Layout, chunk: Chunk, cell_factor: np.ndarray | None = None) -> PartialSums:
    """Partial sums of one chunk.

    Parameters
    ----------
    layout : Layout
    chunk : Chunk
    cell_factor : ndarray, shape (n_cells,), optional
        Raking factors ``g`` (:attr:`RakingFit.factor`): weights become ``base · g(cell)``.
    """
    _check_chunk(layout, chunk)
    cell = np.zeros(chunk.unit.shape[0], np.int64) if chunk.cell is None else chunk.cell
    w = chunk.weight if cell_factor is None else chunk.weight * cell_factor[cell]
    up = chunk.unit * layout.n_psu + chunk.psu
    uc = chunk.unit * layout.n_cells + cell
    u, p, c = layout.n_units, layout.n_psu, layout.n_cells
    stage2 = _ssu_keys(layout, chunk, cell)
    out = _allocate(layout, stage2)
    # Row-length work arrays, reused by every item: fresh ones per item would be paged in
    # (and zeroed by the kernel) again each time the allocator has handed them back.
    work = np.empty((5, chunk.unit.shape[0]))
    for i in range(layout.n_items):
        _item_sums(layout, chunk, up, uc, w, i, out, stage2, work)
    return PartialSums(
        rows=np.bincount(up, minlength=u * p).reshape(u, p).astype(float),
        unit_w=np.bincount(chunk.unit, w, u),
        unit_w2=np.bincount(chunk.unit, w * w, u),
        cell_rows=np.bincount(cell, minlength=c).astype(float),
        psu_cell_base=np.bincount(chunk.psu * c + cell, chunk.weight, p * c).reshape(p, c),
        **out,
    )


def _allocate(layout: Layout, stage2) -> dict[str, np.ndarray]:
    """The item-wise arrays of :class:`PartialSums`, filled one item at a time."""
    i, u, p, c = layout.n_items, layout.n_units, layout.n_psu, layout.n_cells
    key, inv, cell_key, cell_base = stage2
    # Two stages: the (unit, PSU) sums are left to the reduce (PartialSums).
    dense = (i, u, 0) if inv is not None else (i, u, p)
    out = {name: np.empty(dense) for name in ("sw", "swy", "sws")}
    for name in ("n", "swy2", "sw2", "n_sat", "sy", "sy2", "y_min", "y_max"):
        out[name] = np.empty((i, u))
    for name in ("cell_n", "cell_y", "cell_sat"):
        out[name] = np.empty((i, u, c))
    out.update(ssu_key=key, ssu_cell_key=cell_key, ssu_cell_base=cell_base)
    for name in ("ssu_sw", "ssu_swy", "ssu_sws"):
        out[name] = np.empty((i, key.shape[0]))
    return out


def _ssu_keys(layout: Layout, chunk: Chunk, cell: np.ndarray):
    """``(key, inverse, cell_key, cell_base)`` of the sparse stage-2 sums (empty without)."""
    empty = np.zeros(0, np.int64)
    if not layout.second_stage:
        return empty, None, empty, np.zeros(0)
    if chunk.ssu is None:
        raise DesignError("a two-stage design needs the SSU of every respondent")
    code = chunk.unit * layout.n_ssu
    code += chunk.ssu  # in place: one row-length array, not two
    key, inv = unique_codes(code)
    # Weights are positive (checked), so a (SSU, cell) is present where its sum is not 0:
    # one bincount instead of a unique with its inverse.
    if layout.n_cells == 1:
        code = chunk.ssu
    else:
        np.multiply(chunk.ssu, layout.n_cells, out=code)
        code += cell
    base = np.bincount(code, chunk.weight, layout.n_ssu * layout.n_cells)
    cell_key = np.flatnonzero(base)
    return key, inv, cell_key, base[cell_key]


def _item_sums(layout: Layout, chunk: Chunk, up, uc, w, i: int, out: dict, stage2, work) -> None:
    """Item ``i``'s sums, written into ``out[name][i]``; ``work`` (5, rows) is scratch."""
    u, p, c = layout.n_units, layout.n_psu, layout.n_cells
    # Five row-length buffers, each reused once its value is no longer needed: y becomes
    # y0 (nan -> 0), d becomes the scratch of the products, sat becomes wd * sat.
    y, d, wd, wy, sat = work
    np.copyto(y, chunk.answers[:, i])  # one strided copy beats 20 strided passes
    np.equal(y, y, out=d)  # 1 where answered (nan != nan)
    out["y_min"][i], out["y_max"][i] = np.inf, -np.inf
    np.fmin.at(out["y_min"][i], chunk.unit, y)  # fmin/fmax skip the nan of unanswered rows
    np.fmax.at(out["y_max"][i], chunk.unit, y)
    y0 = np.nan_to_num(y, copy=False, nan=0.0)
    np.multiply(w, d, out=wd)
    np.multiply(wd, y0, out=wy)
    np.greater_equal(y0, layout.satisfied_min, out=sat)
    sat *= d
    # Per-unit sums come from per-(unit, cell) sums: one bincount serves both.
    for name, v in (("cell_n", d), ("cell_y", y0), ("cell_sat", sat)):
        out[name][i] = np.bincount(uc, v, u * c).reshape(u, c)
    out["n"][i], out["sy"][i] = out["cell_n"][i].sum(axis=1), out["cell_y"][i].sum(axis=1)
    out["n_sat"][i] = out["cell_sat"][i].sum(axis=1)
    product = d  # d is not needed any more
    for name, a, b in (("swy2", wy, y0), ("sw2", wd, wd), ("sy2", y0, y0)):
        out[name][i] = np.bincount(chunk.unit, np.multiply(a, b, out=product), u)
    wsat = np.multiply(sat, wd, out=sat)  # sat is not needed any more
    # One stage: per (unit, PSU). Two stages: per (unit, SSU) key only, which the reduce
    # adds up per PSU once the keys of every chunk are merged (PartialSums).
    key, inv = stage2[0], stage2[1]
    index, size, prefix = (up, u * p, "") if inv is None else (inv, key.shape[0], "ssu_")
    for name, v in (("sw", wd), ("swy", wy), ("sws", wsat)):
        target = out[prefix + name]
        target[i] = np.bincount(index, v, size).reshape(target.shape[1:])


def _check_chunk(layout: Layout, chunk: Chunk) -> None:
    m = chunk.unit.shape[0]
    if chunk.answers.shape != (m, layout.n_items):
        raise DesignError(f"answers has shape {chunk.answers.shape}, expected ({m}, items)")
    for name, codes, size in (
        ("unit", chunk.unit, layout.n_units),
        ("psu", chunk.psu, layout.n_psu),
        ("cell", chunk.cell, layout.n_cells),
        ("ssu", chunk.ssu, layout.n_ssu),
    ):
        if codes is not None and m and (codes.min() < 0 or codes.max() >= size):
            raise DesignError(f"{name} codes must lie in 0..{size - 1}")
    w = chunk.weight
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DesignError(
            f"{int(bad.sum())} weight(s) are missing, zero or negative (first at row {first})"
        )
