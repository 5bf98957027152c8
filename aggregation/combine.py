"""Linear combinations of domain means with their covariance (docs/ESTIMATORS.md (e))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aggregation import estimators as E
from aggregation.design import (
    Design,
    DesignError,
    LinearisedMean,
    psu_totals,
    psu_variance_from_totals,
)
from aggregation.estimates import DomainScores


@dataclass(frozen=True)
class Combination:
    """``θ = Σ_j c_j ybar_j`` with SE from the summed scores and a t interval on the design df.

    ``z_hi`` (shape (n_psu,)) are the PSU totals of ``Σ_j c_j z_j``: combinations of
    combinations keep their covariance by summing these.
    """

    estimate: float
    se: float
    ci_low: float | None
    ci_high: float | None
    df: int
    z_hi: np.ndarray
    ci_reason: str | None = None


def covariance_from_totals(z_hi: np.ndarray, psu_stratum: np.ndarray) -> np.ndarray:
    """Covariance matrix of k estimates from the PSU totals of their scores.

    ``Cov = Σ_h n_h/(n_h − 1) Σ_i (z_hi − zbar_h)(z_hi − zbar_h)ᵀ``; a lonely PSU adds
    ``z_h1 z_h1ᵀ`` (docs/ESTIMATORS.md (a), (e)). Its diagonal equals
    :func:`aggregation.design.psu_variance_from_totals`.

    Parameters
    ----------
    z_hi : ndarray, shape (n_psu, k)
    psu_stratum : ndarray of int, shape (n_psu,)

    Returns
    -------
    ndarray, shape (k, k)
    """
    z = np.asarray(z_hi, dtype=float)
    n_h = np.bincount(psu_stratum).astype(float)
    lonely = n_h == 1
    sums = np.zeros((n_h.shape[0], z.shape[1]))
    np.add.at(sums, psu_stratum, z)  # (n_psu, k) is small here: once per combination set
    zbar = sums / np.where(n_h > 0, n_h, 1.0)[:, None]
    zbar[lonely] = 0.0
    scale = np.sqrt(np.where(n_h > 1, n_h / np.where(n_h > 1, n_h - 1, 1.0), 1.0))
    centred = (z - zbar[psu_stratum]) * scale[psu_stratum][:, None]
    return centred.T @ centred


def linear_combination_from_totals(
    estimates: np.ndarray,
    z_hi: np.ndarray,
    psu_stratum: np.ndarray,
    coefficients: np.ndarray,
    *,
    df: int,
    level: float = 0.95,
) -> Combination:
    """Combine k estimates given the PSU totals of their scores (the map/reduce route).

    ``V(Σ c_j θ_j)`` is the PSU formula of (a) applied to ``Σ_j c_j z_hi,j``, which keeps the
    covariance of items answered by the same respondents (docs/ESTIMATORS.md (e)).

    Parameters
    ----------
    estimates : ndarray, shape (k,)
    z_hi : ndarray, shape (n_psu, k)
    psu_stratum : ndarray of int, shape (n_psu,)
    coefficients : ndarray, shape (k,)
    df : int
        Design degrees of freedom for the t interval.
    """
    est, c = np.asarray(estimates, dtype=float), np.asarray(coefficients, dtype=float)
    z = np.asarray(z_hi, dtype=float).reshape(-1, est.shape[0])
    if c.shape != est.shape:
        raise DesignError(f"{c.shape[0]} coefficients for {est.shape[0]} estimates")
    if np.isnan(est[c != 0]).any():
        raise DesignError("a term of the combination has no answers; its mean is undefined")
    theta = float(np.dot(np.where(c != 0, est, 0.0), c))
    combined = z @ c
    se = float(np.sqrt(psu_variance_from_totals(combined, psu_stratum)))
    low, high, why = E.t_interval(np.array([theta]), np.array([se]), df, level)
    return Combination(theta, se, _opt(low[0]), _opt(high[0]), df, combined, why[0])


def linear_combination(
    design: Design,
    terms: Sequence[LinearisedMean],
    coefficients: Sequence[float],
    *,
    level: float = 0.95,
) -> Combination:
    """Combine domain means computed row by row with :func:`aggregation.design.linearised_mean`.

    Parameters
    ----------
    design : Design
    terms : sequence of LinearisedMean, length k
    coefficients : sequence of float, length k
    """
    if not terms:
        raise DesignError("a combination needs at least one term")
    z = np.column_stack([t.z for t in terms])
    z_hi = psu_totals(design, z)
    est = np.array([t.mean for t in terms])
    return linear_combination_from_totals(
        est, z_hi, design.psu_stratum, np.asarray(coefficients), df=design.df, level=level
    )


def combine_means(
    scores: DomainScores,
    terms: Sequence[tuple[str, str]],
    coefficients: Sequence[float],
    *,
    level: float = 0.95,
) -> Combination:
    """Combine means of an :class:`EstimateSet` by ``(item, unit)`` labels.

    Examples
    --------
    The mean of q1 and q2 in unit U01: ``combine_means(s, [("q1", "U01"), ("q2", "U01")],
    [0.5, 0.5])``.
    """
    pos = [scores.index(item, unit) for item, unit in terms]
    est = np.array([scores.mean[i, u] for i, u in pos])
    z_hi = np.column_stack([scores.z_mean[i, u] for i, u in pos])
    return linear_combination_from_totals(
        est, z_hi, scores.psu_stratum, np.asarray(coefficients), df=scores.df, level=level
    )


def _opt(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
