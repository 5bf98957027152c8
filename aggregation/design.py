"""Survey designs as R's ``svydesign`` (strata, PSUs, SSUs, fpc) and ``svyrecvar``'s variance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DesignError(ValueError):
    """Raised for a design that cannot be built (bad weights, mismatched lengths).

    ``row`` (0-based respondent) and ``field`` (``"fpc"``, ``"fpc2"``) locate the value at
    fault when there is one, so a reader of files can name the line and column.
    """

    def __init__(self, message: str, row: int | None = None, field: str | None = None):
        super().__init__(message)
        self.row, self.field = row, field


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
    psu_fraction : ndarray, shape (n_psu,), optional
        Stage-1 sampling fraction ``n_h / N_h`` of each PSU's stratum; None: with
        replacement (no fpc).
    ssu : ndarray of int, shape (n,), optional
        Stage-2 unit code, ``0 .. n_ssu - 1``, unique across PSUs (nested in the PSU).
    ssu_psu : ndarray of int, shape (n_ssu,), optional
        PSU of every SSU.
    ssu_fraction : ndarray, shape (n_psu,), optional
        Stage-2 sampling fraction ``m_i / M_i`` within each PSU; None: with replacement.
    """

    weight: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    psu_fraction: np.ndarray | None = None
    ssu: np.ndarray | None = None
    ssu_psu: np.ndarray | None = None
    ssu_fraction: np.ndarray | None = None

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
    *,
    ssu: np.ndarray | None = None,
    fpc: np.ndarray | None = None,
    fpc2: np.ndarray | None = None,
) -> Design:
    """Build a :class:`Design` from raw columns, with the defaults of docs/ESTIMATORS.md (a).

    No strata: one stratum. No PSU column: each respondent is its own PSU.
    No weights: ``w_k = 1``. Codes may be any hashable labels (strings, ints).
    ``ssu`` is the stage-2 unit, nested in the PSU (R: ``ids = ~psu + ssu``); ``fpc`` and
    ``fpc2`` are R's ``fpc = ~fpc + fpc2`` per respondent (docs/ESTIMATORS.md (f)): a
    value > 1 is a population count (PSUs in the stratum, or people in the stratum when
    each respondent is its own PSU; SSUs in the PSU), a value <= 1 a sampling fraction.
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
        p = _codes(psu, n, "psu", nested=True)
        pairs = h * (int(p.max(initial=0)) + 1) + p
    uniq, psu_code = unique_codes(pairs)
    psu_stratum = np.zeros(uniq.shape[0], dtype=np.int64)
    psu_stratum[psu_code] = h
    psu_code = psu_code.astype(np.int64, copy=False)
    stages = _stages(n, psu_code, psu_stratum, h, psu is None, ssu, fpc, fpc2)
    return Design(weight=w, stratum=h, psu=psu_code, psu_stratum=psu_stratum, **stages)


def _stages(n, psu, psu_stratum, h, element, ssu, fpc, fpc2) -> dict:
    """The stage-2 coding and the sampling fractions of both stages (R's ``as.fpc``)."""
    if ssu is not None and element:
        raise DesignError("a second stage (ssu) needs a PSU column")
    if fpc2 is not None and (ssu is None or fpc is None):
        raise DesignError("a stage-2 fpc needs an ssu column and a stage-1 fpc")
    out: dict = {}
    # As R's as.fpc: counts if any value of either stage is > 1, else fractions.
    counts = any(v is not None and np.max(np.asarray(v, dtype=float), initial=0) > 1
                 for v in (fpc, fpc2))  # fmt: skip
    if ssu is not None:
        s = _codes(ssu, n, "ssu", nested=True)
        code = psu * (int(s.max(initial=0)) + 1)
        code += s  # in place: one row-length array, not two
        _, ssu_code = unique_codes(code)
        ssu_psu = np.zeros(int(ssu_code.max(initial=-1)) + 1, dtype=np.int64)
        ssu_psu[ssu_code] = psu
        out.update(ssu=ssu_code.astype(np.int64, copy=False), ssu_psu=ssu_psu)
    if fpc is not None:
        n_h = np.bincount(psu_stratum).astype(float)
        value = _constant_within(fpc, n, h, "fpc", "stratum")
        out["psu_fraction"] = _fraction(value, n_h, counts, "fpc", "stratum", h)[psu_stratum]
    if fpc2 is not None:
        m_i = np.bincount(out["ssu_psu"], minlength=psu_stratum.shape[0]).astype(float)
        value = _constant_within(fpc2, n, psu, "fpc2", "PSU")
        out["ssu_fraction"] = _fraction(value, m_i, counts, "fpc2", "PSU", psu)
    return out


def _constant_within(values, n: int, group: np.ndarray, name: str, what: str) -> np.ndarray:
    """One value per group (stratum or PSU) of a per-respondent fpc column."""
    v = np.asarray(values, dtype=float)
    if v.shape != (n,):
        raise DesignError(f"{name} has {v.shape[0]} values for {n} respondents")
    # min/max first (nan fails "> 0"): no row-length mask unless a value is bad
    if n and not (np.min(v) > 0 and np.max(v) < np.inf):
        first = int(np.flatnonzero(~np.isfinite(v) | (v <= 0))[0])
        raise DesignError(f"{name} must be a positive number (row {first}: {v[first]})",
                          first, name)  # fmt: skip
    size = int(group.max(initial=-1)) + 1
    first_value = np.full(size, np.nan)
    first_value[group[::-1]] = v[::-1]
    # In blocks: the comparison's row-length temporaries stay small and in cache.
    for lo in range(0, n, _BLOCK):
        differs = first_value[group[lo : lo + _BLOCK]] != v[lo : lo + _BLOCK]
        if differs.any():
            row = lo + int(np.flatnonzero(differs)[0])
            raise DesignError(f"{name} differs within a {what} (row {row}: {v[row]})",
                              row, name)  # fmt: skip
    return first_value


#: Rows per block of the row-wise checks.
_BLOCK = 1 << 16


def _fraction(value, sampled, counts: bool, name: str, what: str, group) -> np.ndarray:
    """Sampling fraction per group: ``sampled / value`` for counts, else ``value``.

    As R's ``as.fpc``: counts (>= 1) and fractions (< 1) cannot be mixed, and a count
    below the number sampled (a fraction above 1) is refused.
    """
    if counts and (value < 1).any():
        row = int(np.flatnonzero(value[group] < 1)[0])
        raise DesignError("fpc values mix population counts (> 1) and fractions (< 1)", row, name)
    fraction = sampled / value if counts else value
    over = fraction > 1 + 1e-12
    if over.any():
        g = int(np.flatnonzero(over)[0])
        raise DesignError(
            f"{name} implies sampling more than the population in a {what} "
            f"({int(sampled[g])} sampled, {name} {value[g]:g})",
            int(np.flatnonzero(group == g)[0]),
            name,
        )
    return np.minimum(fraction, 1.0)


def _codes(values, n: int, name: str, nested: bool = False) -> np.ndarray:
    """Codes ``0 ..`` of the labels. ``nested``: the codes are only combined with an outer
    code and factorised again, so integer codes below ``n`` (those of the CLI) are used as
    they are, without a first factorisation (no gaps to close, no risk of overflow)."""
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise DesignError(f"{name} has {arr.shape[0]} values for {n} respondents")
    if nested and arr.dtype.kind in "iu" and n and arr.min() >= 0 and arr.max() < n:
        return arr.astype(np.int64, copy=False)
    _, codes = unique_codes(arr)
    return codes.astype(np.int64, copy=False)


def unique_codes(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(arr, return_inverse=True)``, in O(n) for small non-negative integer codes
    (a table of the code space instead of a sort)."""
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() < 4 * arr.size + 1024:
        counts = np.bincount(arr)
        present = counts > 0
        rank = np.cumsum(present, out=counts)  # the counts' table, reused
        rank -= 1
        return np.flatnonzero(present), rank[arr]
    return np.unique(arr, return_inverse=True)


#: R's ``onestrat`` treats a stratum with ``1 - n/N`` below this as self-representing.
CERTAINTY = 1e-7


def psu_variance_from_totals(
    z_hi: np.ndarray, psu_stratum: np.ndarray, psu_fraction: np.ndarray | None = None
) -> np.ndarray:
    """Stage-1 variance from PSU totals of linearised scores (R ``svyrecvar``'s ``onestage``).

    Implements ``V = Σ_h (1 − f_h) n_h/(n_h−1) Σ_i (z_hi − zbar_h)²`` with ``f_h = n_h/N_h``
    (0 without fpc); a stratum with one PSU contributes ``(1 − f_h) z_h1²`` (R:
    ``survey.lonely.psu = "adjust"``) and one with ``1 − f_h < 1e-7`` nothing
    (docs/ESTIMATORS.md (a) and (f)).

    Parameters
    ----------
    z_hi : ndarray, shape (n_psu,) or (n_psu, k)
        Per-PSU totals of the scores ``z_k``, for ``k`` estimates at once.
    psu_stratum : ndarray of int, shape (n_psu,)
    psu_fraction : ndarray, shape (n_psu,), optional
        ``f_h`` of each PSU's stratum.

    Returns
    -------
    ndarray, shape () or (k,)
    """
    z = np.asarray(z_hi, dtype=float)
    n_h = np.bincount(psu_stratum)
    return _stratum_variance(z, psu_stratum, n_h, _keep(psu_fraction, psu_stratum, n_h))


def _keep(fraction: np.ndarray | None, group: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``1 − f`` per group (R's ``(N − n)/N``), 0 for a self-representing group."""
    if fraction is None:
        return np.ones(size.shape[0])
    keep = np.ones(size.shape[0])
    keep[group] = 1.0 - fraction
    return np.where(keep < CERTAINTY, 0.0, keep)


def _stratum_variance(z, group, n_g, keep) -> np.ndarray:
    """``Σ_g keep_g · n_g/(n_g − 1) · Σ_i (z_gi − zbar_g)²``, lonely groups uncentred."""
    sums = _group_sum(z, group, n_g.shape[0])
    shape = (-1,) + (1,) * (z.ndim - 1)
    nh = n_g.reshape(shape).astype(float)
    lonely = nh == 1
    zbar = np.where(lonely, 0.0, sums / np.where(nh == 0, 1.0, nh))
    dev2 = _group_sum((z - zbar[group]) ** 2, group, n_g.shape[0])
    factor = np.where(lonely | (nh == 0), 1.0, nh / np.where(nh > 1, nh - 1, 1.0))
    return (keep.reshape(shape) * factor * dev2).sum(axis=0)


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
    return psu_variance_from_totals(psu_totals(design, z), design.psu_stratum, design.psu_fraction)


def psu_totals(design: Design, z: np.ndarray) -> np.ndarray:
    """PSU totals ``z_hi = Σ_{k in PSU hi} z_k``, shape (n_psu,) or (n_psu, k)."""
    return _group_sum(np.asarray(z, dtype=float), design.psu, design.n_psu)


def _group_sum(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Sums of ``values`` (n,) or (n, k) per code, shape (size,) or (size, k)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=size)
    flat = values.reshape(values.shape[0], int(np.prod(values.shape[1:])))
    return group_sum_2d(flat, codes, size).reshape((size,) + values.shape[1:])


def group_sum_2d(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (n, k) per code, shape (size, k): one bincount over the
    flattened (code, column) pairs (faster than ``np.add.at``, no sparse matrix)."""
    n, k = values.shape
    if n == 0 or k == 0:
        return np.zeros((size, k))
    flat = (codes.astype(np.int64)[:, None] * k + np.arange(k)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=size * k).reshape(size, k)
