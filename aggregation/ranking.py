"""Ranks within a unit kind and 95% rank intervals simulated from the index estimates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Indices closer than this (percentage points) are equal: they come from decimal
#: points typed in files, so 81.88 may arrive as 81.87999999999999.
TIE_TOL = 1e-9

#: Simulated draws for rank intervals, and the default seed (recorded in the output).
DEFAULT_DRAWS = 10_000
DEFAULT_SEED = 20180101

#: Draws ranked per block, to bound memory at ``block × units²`` booleans.
_BLOCK = 500


def competition_ranks(values: np.ndarray, tol: float = TIE_TOL) -> np.ndarray:
    """Rank 1 for the highest value; equal values share the better rank ("1224").

    ``rank_i = 1 + #{j : x_j > x_i + tol}`` (FORMATS.md: equal indices share the
    better rank). Works along the last axis, so ``values`` may be (k,) or (draws, k).
    """
    x = np.asarray(values, dtype=float)
    greater = x[..., None, :] > x[..., :, None] + tol
    return 1 + greater.sum(axis=-1)


def index_covariance(variance: Callable[[np.ndarray], np.ndarray], coef: np.ndarray) -> np.ndarray:
    """Covariance matrix of k linear estimates, ``coef`` of shape (m, k).

    ``variance`` is the design's variance of docs/ESTIMATORS.md (a), a quadratic form
    ``V(c)`` of coefficients of shape (m,) or (m, k), so by polarisation
    ``Cov(a, b) = (V(a + b) − V(a) − V(b)) / 2`` (docs/ESTIMATORS.md (e): variance of a
    sum = formula applied to the summed scores). Units whose respondents share PSUs get
    their covariance; otherwise it is zero.
    """
    k = coef.shape[1]
    var = np.atleast_1d(variance(coef)) if k else np.zeros(0)
    cov = np.diag(var)
    i, j = np.triu_indices(k, 1)
    if i.size:
        v_sum = variance(coef[:, i] + coef[:, j])
        cov[i, j] = cov[j, i] = (v_sum - var[i] - var[j]) / 2
    return cov


@dataclass(frozen=True)
class RankIntervals:
    """Point ranks and the bounds of the central 95% of simulated ranks, shape (k,)."""

    rank: np.ndarray
    low: np.ndarray
    high: np.ndarray


def rank_intervals(
    estimate: np.ndarray,
    cov: np.ndarray,
    rng: np.random.Generator,
    draws: int = DEFAULT_DRAWS,
    level: float = 0.95,
) -> RankIntervals:
    """Rank interval of every unit by simulation from the estimates' sampling distribution.

    Draws ``x ~ N(estimate, cov)`` (the normal approximation that also gives the CIs;
    ``cov`` from :func:`index_covariance`), ranks each draw with
    :func:`competition_ranks`, and reports the (1 − level)/2 and (1 + level)/2
    quantiles of each unit's simulated ranks (``inverted_cdf``: always an attained rank).
    A unit with no sampling error at all keeps its rank only if its neighbours do too.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    root = _psd_root(cov)
    ranks = np.empty((draws, estimate.shape[0]), dtype=np.int64)
    for start in range(0, draws, _BLOCK):
        size = min(_BLOCK, draws - start)
        x = estimate + rng.standard_normal((size, estimate.shape[0])) @ root.T
        ranks[start : start + size] = competition_ranks(x)
    tail = (1 - level) / 2
    low = np.quantile(ranks, tail, axis=0, method="inverted_cdf").astype(np.int64)
    high = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf").astype(np.int64)
    return RankIntervals(rank=competition_ranks(estimate), low=low, high=high)


def _psd_root(cov: np.ndarray) -> np.ndarray:
    """``L`` with ``L Lᵀ = cov``.

    Cholesky on the units that have sampling error (units without it have zero rows,
    which make ``cov`` singular), so that the draws depend continuously on ``cov``: the
    same figures computed in another order (chunks) give the same rank intervals. An
    eigen-decomposition, whose vectors jump between near-equal eigenvalues, would not.
    Falls back to it, zeroing round-off negative eigenvalues, where Cholesky fails.
    """
    if cov.size == 0:
        return cov
    root = np.zeros_like(cov)
    live = np.flatnonzero(np.diag(cov) > 0)
    try:
        root[np.ix_(live, live)] = np.linalg.cholesky(cov[np.ix_(live, live)])
        return root
    except np.linalg.LinAlgError:
        eigval, eigvec = np.linalg.eigh(cov)
        return eigvec * np.sqrt(np.clip(eigval, 0.0, None))


def overlapping_neighbours(rank: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray) -> np.ndarray:
    """True for units whose CI overlaps that of a unit ranked directly above or below."""
    order = np.argsort(rank, kind="stable")
    lo, hi = ci_low[order], ci_high[order]
    touch = (lo[:-1] <= hi[1:]) & (lo[1:] <= hi[:-1])  # ordered pairs next to each other
    out_sorted = np.zeros(rank.shape[0], dtype=bool)
    out_sorted[:-1] |= touch
    out_sorted[1:] |= touch
    out = np.empty_like(out_sorted)
    out[order] = out_sorted
    return out
