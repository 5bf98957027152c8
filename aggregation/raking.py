"""Raking (IPF) on the joint table of the margin variables, and R ``rake()``'s variance.

Raked weights are ``w_k = base_k · g(c_k)`` where ``c_k`` is k's joint cell of all margin
variables, so IPF runs on the table of base-weight sums per joint cell, and every chunk of
rows can recompute its raked weights from ``g`` (docs/ESTIMATORS.md (b)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from aggregation.design import DesignError

#: R's ``rake()`` repeats the post-stratification residual sweep this many times.
RAKE_VARIANCE_SWEEPS = 10


class RakingError(DesignError):
    """Margins that cannot be raked to: an empty cell, unknown levels, inconsistent totals."""


@dataclass(frozen=True)
class Margin:
    """Population counts of one variable, mapped onto the joint cells.

    Attributes
    ----------
    name : str
    labels : tuple of str, shape (n_levels,)
    targets : ndarray, shape (n_levels,)
        Population count ``N_c`` of each level.
    cell_level : ndarray of int, shape (n_cells,)
        Level of this variable in every joint cell.
    """

    name: str
    labels: tuple[str, ...]
    targets: np.ndarray
    cell_level: np.ndarray

    def level_sum(self, per_cell: np.ndarray) -> np.ndarray:
        """Sum a per-joint-cell array (last axis) over the cells of each level."""
        indicator = np.zeros((per_cell.shape[-1], self.labels.__len__()))
        indicator[np.arange(per_cell.shape[-1]), self.cell_level] = 1.0
        return per_cell @ indicator


@dataclass(frozen=True)
class RakingFit:
    """Converged raking factors (docs/ESTIMATORS.md (b)).

    Attributes
    ----------
    margins : tuple of Margin
    factor : ndarray, shape (n_cells,)
        ``g``: final weight / base weight in each joint cell.
    step_factor : ndarray, shape (n_margins, n_cells)
        Weight / base weight right after each margin's step of the last iteration
        (``p_m / base``); the last row equals ``factor``.
    iterations : int
    converged : bool
    max_margin_error : float
        Largest ``|Σ_c w − N_c|`` over all margin levels.
    """

    margins: tuple[Margin, ...]
    factor: np.ndarray
    step_factor: np.ndarray
    iterations: int
    converged: bool
    max_margin_error: float


def joint_cells(codes: Sequence[np.ndarray], n_levels: Sequence[int]) -> np.ndarray:
    """Joint cell code of every row from per-variable level codes (row-major over variables)."""
    return np.ravel_multi_index(tuple(np.asarray(c) for c in codes), tuple(n_levels))


def make_margins(
    names: Sequence[str],
    sample_levels: Sequence[Sequence[str]],
    targets: Sequence[Mapping[str, float]],
) -> tuple[Margin, ...]:
    """Margins over the joint cells of ``names``, checked against the sample's levels.

    Parameters
    ----------
    names : variable names, in raking order.
    sample_levels : for each variable, the labels its level codes stand for.
    targets : for each variable, population count per label.

    Raises
    ------
    RakingError
        A sample level has no population count, a count is not positive, or a counted level
        has no respondents (an empty cell cannot be raked to).
    """
    shape = tuple(len(levels) for levels in sample_levels)
    grids = np.indices(shape).reshape(len(shape), -1)
    out = []
    for v, (name, levels, counts) in enumerate(zip(names, sample_levels, targets, strict=True)):
        _check_levels(name, list(levels), counts)
        values = np.array([float(counts[label]) for label in levels])
        out.append(Margin(name, tuple(levels), values, grids[v].astype(np.int64)))
    return tuple(out)


def _check_levels(name: str, levels: list[str], counts: Mapping[str, float]) -> None:
    missing = [lv for lv in levels if lv not in counts]
    if missing:
        raise RakingError(f"respondents have {name} = {missing[0]!r} but the margins give no count")
    extra = [lv for lv in counts if lv not in levels]
    if extra:
        raise RakingError(
            f"the margins count {name} = {extra[0]!r} but no respondent has it (empty cell)"
        )
    bad = [lv for lv in levels if not np.isfinite(counts[lv]) or counts[lv] <= 0]
    if bad:
        raise RakingError(f"the population count for {name} = {bad[0]!r} must be positive")


def fit_raking(
    margins: Sequence[Margin],
    cell_weight: np.ndarray,
    cell_rows: np.ndarray,
    maxit: int = 100,
    epsilon: float = 1e-12,
) -> RakingFit:
    """Iterative proportional fitting on the joint table (docs/ESTIMATORS.md (b), R ``rake()``).

    One iteration post-stratifies to each margin in turn; stop when the joint weighted
    table moves by less than ``epsilon · Σ base`` from the previous iteration.

    Parameters
    ----------
    margins : sequence of Margin
    cell_weight : ndarray, shape (n_cells,)
        Σ base weight per joint cell.
    cell_rows : ndarray, shape (n_cells,)
        Respondents per joint cell (to reject empty margin cells).
    """
    margins = tuple(margins)
    _check_fit_inputs(margins, cell_weight, cell_rows)
    g = np.ones_like(cell_weight, dtype=float)
    steps = np.ones((len(margins), g.shape[0]))
    old, tol = cell_weight.astype(float), epsilon * float(cell_weight.sum())
    iterations, converged = 0, False
    while iterations < maxit:
        for m, margin in enumerate(margins):
            current = margin.level_sum(cell_weight * g)
            g = g * (margin.targets / current)[margin.cell_level]
            steps[m] = g
        new = cell_weight * g
        iterations += 1
        if np.max(np.abs(new - old)) < tol:
            converged = True
            break
        old = new
    error = max(float(np.max(np.abs(m.level_sum(cell_weight * g) - m.targets))) for m in margins)
    return RakingFit(margins, g, steps, iterations, converged, error)


def _check_fit_inputs(margins, cell_weight: np.ndarray, cell_rows: np.ndarray) -> None:
    if not margins:
        raise RakingError("raking needs at least one margin")
    for margin in margins:
        rows = margin.level_sum(np.asarray(cell_rows, dtype=float))
        if np.any(rows == 0):
            label = margin.labels[int(np.flatnonzero(rows == 0)[0])]
            raise RakingError(f"no respondent has {margin.name} = {label!r} (empty cell)")
    totals = [float(m.targets.sum()) for m in margins]
    if max(totals) - min(totals) > 1e-9 * max(totals):
        listed = ", ".join(f"{m.name} {t:g}" for m, t in zip(margins, totals, strict=True))
        raise RakingError(f"the margins describe different populations (totals: {listed})")


def raked_weights(base: np.ndarray, cell: np.ndarray, fit: RakingFit) -> np.ndarray:
    """``w_k = base_k · g(c_k)``."""
    return np.asarray(base, dtype=float) * fit.factor[cell]


def rake_cell_correction(
    fit: RakingFit, cell_rows: np.ndarray, cell_scores: np.ndarray
) -> np.ndarray:
    """Per-cell correction ``Φ`` of R ``rake()``'s variance, from cell sums (ESTIMATORS (b)).

    The scores after the sweeps are ``x_k = z_k − base_k · Φ(c_k)``. Each sweep applies, for
    every margin m, ``x_k ← x_k − p_m,k · mean_{j in c_m(k)} (x_j / p_m,j)`` (unweighted mean
    over all sample rows of the margin cell).

    Parameters
    ----------
    fit : RakingFit
    cell_rows : ndarray, shape (n_cells,)
        Sample rows per joint cell (all rows, in the domain or not).
    cell_scores : ndarray, shape (k, n_cells)
        ``Σ_{j in c} z_j / w_j`` per joint cell for k estimates (``z`` of (a) with raked w).

    Returns
    -------
    ndarray, shape (k, n_cells)
    """
    rows = np.asarray(cell_rows, dtype=float)
    phi = np.zeros_like(cell_scores, dtype=float)
    for _ in range(RAKE_VARIANCE_SWEEPS):
        for margin, step in zip(fit.margins, fit.step_factor, strict=True):
            # Σ over a cell of x/p_m = Σ (g/G_m) z/w − n_c Φ/G_m, since p_m = base · G_m.
            ratio = margin.level_sum(fit.factor / step * cell_scores - rows * phi / step)
            mean = ratio / margin.level_sum(rows)
            phi = phi + step * mean[:, margin.cell_level]
    return phi


def rake_scores(z: np.ndarray, base: np.ndarray, cell: np.ndarray, fit: RakingFit) -> np.ndarray:
    """Respondent scores after R ``rake()``'s sweeps, row by row (docs/ESTIMATORS.md (b)).

    Parameters
    ----------
    z : ndarray, shape (n,) or (n, k)
        Scores of (a) computed with the raked weights (0 outside the domain).
    base : ndarray, shape (n,)
    cell : ndarray of int, shape (n,)
        Joint cell of every row.

    Returns
    -------
    ndarray, same shape as ``z``; put it through :func:`aggregation.design.psu_variance`.
    """
    x = np.array(z, dtype=float)
    x2 = x.reshape(x.shape[0], -1)
    for _ in range(RAKE_VARIANCE_SWEEPS):
        for margin, step in zip(fit.margins, fit.step_factor, strict=True):
            level = margin.cell_level[cell]
            p = base * step[cell]
            n_level = np.bincount(level, minlength=len(margin.labels))
            for j in range(x2.shape[1]):
                mean = np.bincount(level, x2[:, j] / p, len(margin.labels)) / n_level
                x2[:, j] -= p * mean[level]
    return x2.reshape(x.shape)


def rake_table(
    names: Sequence[str],
    levels: Sequence[Sequence[str | None]],
    base_total: np.ndarray,
    rows: np.ndarray,
    targets: Sequence[Mapping[str, float]],
) -> tuple[np.ndarray, RakingFit]:
    """Raking factors of a table of respondent groups (a row per combination of levels).

    Parameters
    ----------
    names : variable names, in raking order.
    levels : for each variable, shape (n_rows,): the level of each row; None is refused,
        as ``parindex estimate --rake`` refuses an empty cell (R's ``postStratify`` matches
        no population cell for NA and leaves the weight NA).
    base_total : ndarray, shape (n_rows,)
        Σ base weight of the respondents of each row.
    rows : ndarray, shape (n_rows,)
        Respondents in each row.
    targets : for each variable, population count per level.

    Returns
    -------
    g : ndarray, shape (n_rows,)
        Raked weight / base weight of each row's respondents.
    fit : RakingFit
    """
    codes, labels = [], []
    for name, column in zip(names, levels, strict=True):
        missing = int(np.sum(rows[np.array([v is None for v in column], dtype=bool)]))
        if missing:
            raise RakingError(
                f"{missing} response(s) have no {name}: a raking variable must be known for "
                "every respondent (as parindex estimate --rake requires; R's rake() leaves "
                "such a weight NA)"
            )
        sample = sorted(set(column))
        index = {label: i for i, label in enumerate(sample)}
        codes.append(np.array([index[v] for v in column], dtype=np.int64))
        labels.append(sample)
    n_levels = [len(lv) for lv in labels]
    margins = make_margins(names, labels, targets)
    cell = joint_cells(codes, n_levels).astype(np.int64)
    n_cells = int(np.prod(n_levels))
    fit = fit_raking(
        margins,
        np.bincount(cell, weights=base_total, minlength=n_cells),
        np.bincount(cell, weights=rows, minlength=n_cells),
    )
    return fit.factor[cell], fit
