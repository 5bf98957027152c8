"""Survey design (strata, nested PSUs, weights) and the linearisation variance of R's survey."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


class DesignError(ValueError):
    """Raised for a design that cannot be built (bad weights, mismatched lengths)."""


@dataclass(frozen=True)
class Design:
    """A stratified, clustered, weighted design over ``n`` respondents.

    Attributes
    ----------
    weight : ndarray, shape (n,)
        Positive sampling weights ``w_k``.
    stratum : ndarray of int, shape (n,)
        Stratum code ``h`` of each respondent, ``0 .. n_strata - 1``.
    psu : ndarray of int, shape (n,)
        PSU code, ``0 .. n_psu - 1``, unique across strata (R's ``nest = TRUE``).
    psu_stratum : ndarray of int, shape (n_psu,)
        Stratum code of every PSU.
    """

    weight: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        return int(np.unique(self.psu_stratum).shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (``degf`` in R)."""
        return self.n_psu - self.n_strata

    def psus_per_stratum(self) -> np.ndarray:
        """``n_h`` for every stratum code, shape (n_strata_codes,)."""
        return np.bincount(self.psu_stratum)


def make_design(
    n: int,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
) -> Design:
    """Build a :class:`Design` from raw columns, with the defaults of ESTIMATORS.md (a).

    No strata: one stratum. No PSU column: each respondent is its own PSU.
    No weights: ``w_k = 1``. Codes may be any hashable labels (strings, ints).
    """
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise DesignError(f"weights has {w.shape[0]} values for {n} respondents")
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DesignError(
            f"{int(bad.sum())} weight(s) are missing, zero or negative (first at row {first})"
        )
    h = np.zeros(n, dtype=np.int64) if strata is None else _codes(strata, n, "strata")
    if psu is None:
        pairs = np.arange(n, dtype=np.int64)
    else:
        p = _codes(psu, n, "psu")
        pairs = h * (int(p.max(initial=0)) + 1) + p
    uniq, psu_code = _unique_inverse(pairs)
    psu_stratum = np.zeros(uniq.shape[0], dtype=np.int64)
    psu_stratum[psu_code] = h
    return Design(weight=w, stratum=h, psu=psu_code.astype(np.int64), psu_stratum=psu_stratum)


def _codes(values, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise DesignError(f"{name} has {arr.shape[0]} values for {n} respondents")
    _, codes = _unique_inverse(arr)
    return codes.astype(np.int64)


def _unique_inverse(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(arr, return_inverse=True)``, in O(n) for small non-negative integer codes."""
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() < 4 * arr.size + 1024:
        present = np.bincount(arr) > 0
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present), rank[arr]
    return np.unique(arr, return_inverse=True)


def psu_variance_from_totals(z_hi: np.ndarray, psu_stratum: np.ndarray) -> np.ndarray:
    """Variance from PSU totals of linearised scores.

    Implements ``V = Σ_h n_h/(n_h−1) Σ_i (z_hi − zbar_h)²``; a stratum with one PSU
    contributes ``z_h1²`` (R: ``survey.lonely.psu = "adjust"``, ESTIMATORS.md (a)).

    Parameters
    ----------
    z_hi : ndarray, shape (n_psu,) or (n_psu, k)
        Per-PSU totals of the scores ``z_k``, for ``k`` estimates at once.
    psu_stratum : ndarray of int, shape (n_psu,)

    Returns
    -------
    ndarray, shape () or (k,)
    """
    z = np.asarray(z_hi, dtype=float)
    n_h = np.bincount(psu_stratum)
    sums = _group_sum(z, psu_stratum, n_h.shape[0])
    nh = n_h.reshape((-1,) + (1,) * (z.ndim - 1)).astype(float)
    lonely = nh == 1
    zbar = np.where(lonely, 0.0, sums / np.where(nh == 0, 1.0, nh))
    dev2 = _group_sum((z - zbar[psu_stratum]) ** 2, psu_stratum, n_h.shape[0])
    factor = np.where(lonely | (nh == 0), 1.0, nh / np.where(nh > 1, nh - 1, 1.0))
    return (factor * dev2).sum(axis=0)


def psu_variance(design: Design, z: np.ndarray) -> np.ndarray:
    """Linearisation variance of an estimate with respondent scores ``z``.

    Parameters
    ----------
    design : Design
    z : ndarray, shape (n,) or (n, k)

    Returns
    -------
    ndarray, shape () or (k,)
    """
    return psu_variance_from_totals(psu_totals(design, z), design.psu_stratum)


def psu_totals(design: Design, z: np.ndarray) -> np.ndarray:
    """PSU totals ``z_hi = Σ_{k in PSU hi} z_k``, shape (n_psu,) or (n_psu, k)."""
    return _group_sum(np.asarray(z, dtype=float), design.psu, design.n_psu)


def _group_sum(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=size)
    # A sparse indicator product is ~20x faster than np.add.at for (n_psu, k) blocks.
    n = codes.shape[0]
    if n == 0:
        return np.zeros((size,) + values.shape[1:])
    indicator = sparse.csr_array((np.ones(n), (codes, np.arange(n))), shape=(size, n))
    flat = values.reshape(n, -1)
    return np.asarray(indicator @ flat).reshape((size,) + values.shape[1:])


@dataclass(frozen=True)
class LinearisedMean:
    """A domain mean with its linearised scores (ESTIMATORS.md (a)).

    ``z`` (shape (n,)) is zero outside the domain; sums of ``z`` of several estimates
    put through :func:`psu_variance` give the variance of their sum (ESTIMATORS.md (e)).
    """

    mean: float
    z: np.ndarray
    sum_w: float
    n: int


def linearised_mean(design: Design, y: np.ndarray, in_domain: np.ndarray) -> LinearisedMean:
    """Weighted domain mean ``ybar_D = Σ d w y / Σ d w`` and its scores ``z_k``.

    Parameters
    ----------
    y : ndarray, shape (n,); values outside the domain are ignored (may be nan).
    in_domain : ndarray of bool, shape (n,); ``d_k`` (in the domain and answered).

    Raises
    ------
    DesignError
        If the domain is empty (no answers): the mean is undefined.
    """
    d = np.asarray(in_domain, dtype=bool)
    if not d.any():
        raise DesignError("the domain has no answers; its mean is undefined")
    w = np.where(d, design.weight, 0.0)
    yy = np.where(d, y, 0.0)
    n_w = w.sum()
    mean = float((w * yy).sum() / n_w)
    z = w * (yy - mean) / n_w
    return LinearisedMean(mean=mean, z=z, sum_w=float(n_w), n=int(d.sum()))
