"""Stage-2 variance of R ``svyrecvar`` from mergeable sums (docs/ESTIMATORS.md (f))."""

from __future__ import annotations

import numpy as np

from aggregation.design import CERTAINTY
from aggregation.sufficient import Layout


def second_stage_variance(
    z_i: np.ndarray,
    q_i: np.ndarray,
    ssu_count: np.ndarray,
    psu_fraction: np.ndarray,
    ssu_fraction: np.ndarray | None = None,
) -> np.ndarray:
    """Stage-2 terms of R ``svyrecvar``'s ``multistage``, from mergeable PSU sums.

    Each PSU i of stratum h adds ``f_h · (1 − g_i) · m_i/(m_i − 1) · (Q_i − z_i²/m_i)``
    where ``Q_i = Σ_j z_ij²`` over its SSUs, ``z_i = Σ_j z_ij``, ``m_i`` its SSUs in the
    whole sample and ``g_i = m_i/M_i`` (0 without ``fpc2``). This is
    ``(1 − g_i) m_i/(m_i−1) Σ_j (z_ij − zbar_i)²`` expanded. A PSU with one SSU adds
    ``f_h (1 − g_i) z_i²`` (``"adjust"``: not centred), one with ``1 − g_i < 1e-7``
    nothing. Only called when stage 1 has an fpc: without one R adds nothing
    (docs/ESTIMATORS.md (f)).

    Parameters
    ----------
    z_i, q_i : ndarray, shape (n_psu,) or (n_psu, k)
    ssu_count : ndarray, shape (n_psu,)
        ``m_i``.
    psu_fraction : ndarray, shape (n_psu,)
        ``f_h = n_h/N_h`` of each PSU's stratum.
    ssu_fraction : ndarray, shape (n_psu,), optional
        ``g_i``.

    Returns
    -------
    ndarray, shape () or (k,)
    """
    z, q = np.asarray(z_i, dtype=float), np.asarray(q_i, dtype=float)
    m = np.asarray(ssu_count, dtype=float)
    keep = np.ones_like(m) if ssu_fraction is None else 1.0 - ssu_fraction
    keep = np.where(keep < CERTAINTY, 0.0, keep)
    lonely = m <= 1
    safe = np.where(lonely, 2.0, m)
    weight = psu_fraction * keep
    # Expanded per PSU: c_i Q_i + (u_i − c_i/m_i) z_i² with c_i = f (1 − g) m/(m − 1) and
    # u_i = 0, or c_i = 0 and u_i = f (1 − g) for a lonely PSU; summed by einsums,
    # without a (PSU x k) temporary (those arrays are large and each fresh one costs page
    # faults). Not ``centred @ q``: that matrix-vector product was the only BLAS call of
    # the reduce, and starting BLAS's threads (which then spin) cost more than the sum.
    # The sum is >= 0 but for rounding, hence the clamp.
    centred = np.where(lonely, 0.0, weight * safe / (safe - 1))
    squared = np.where(lonely, weight, 0.0) - centred / safe
    total = np.einsum("i,i...->...", centred, q) + np.einsum("i,i...,i...->...", squared, z, z)
    return np.maximum(total, 0.0)


def stage_two_variance(
    layout: Layout, s: dict, pairs: dict, num: str, est, phi, fixed, z: np.ndarray
) -> np.ndarray:
    """Stage-2 variance (:func:`second_stage_variance`) of every (item, domain) incl.
    ``_ALL_``, shape (I, U+1), from ``Q_i = Σ_{j in PSU i} z_ij²`` and the PSU totals ``z``.

    The SSU total of the scores of docs/ESTIMATORS.md (a) is
    ``z_ij = (Σ_j d w y − ybar Σ_j d w) / N_D − Σ_c B_jc Φ_c`` where ``B_jc`` is the SSU's
    base weight in raking cell c and ``Φ`` the raking correction per cell (0 without
    raking; (b)). With ``a_ij`` the first part,
    ``Q_i = Σ_j a_ij² − 2 Σ_j a_ij (B_j·Φ) + Φᵀ (Σ_j B_j B_jᵀ) Φ``; the last term runs over
    every SSU of the PSU, since raking moves scores onto rows outside the domain.

    Item by item, over vectors of the (unit, SSU) keys: ``Q`` of one item at a time, no
    (items × keys) or (items × domains × PSUs) temporary, whose fresh pages cost more
    than the arithmetic.

    Parameters
    ----------
    layout : Layout
    s : dict
        Merged sums with ``_ALL_`` appended (``reduce._with_all``).
    pairs : dict
        :func:`consolidate` of the sparse SSU sums.
    num : str
        ``"ssu_swy"`` (means) or ``"ssu_sws"`` (proportions).
    est : ndarray, shape (I, U+1)
        The estimates.
    phi : ndarray, shape (I, U+1, C), optional
        Raking correction per cell.
    fixed : ndarray of bool, shape (I, U+1)
        Domains whose scores are exactly zero (no spread).
    z : ndarray, shape (I, U+1, P)
        PSU totals of the scores.
    """
    n_psu, n_units = layout.n_psu, layout.n_units
    unit, group = pairs["unit"], pairs["group"]
    all_group = n_units * n_psu + layout.ssu_psu  # the _ALL_ row of every SSU
    total = s["sw"].sum(axis=-1)
    scale = 1.0 / np.where(total > 0, total, 1.0)
    mean = np.nan_to_num(est)
    size = (n_units + 1) * n_psu
    n_items = s[num].shape[0]
    m = np.bincount(layout.ssu_psu, minlength=n_psu)
    out = np.empty((n_items, n_units + 1))
    if phi is not None:
        base = _cell_base(s, layout.n_ssu, layout.n_cells)
        pair_base = base[pairs["ssu"]]
        gram = _gram(base, layout.ssu_psu, n_psu)
    # Item by item over vectors of the keys, in two reused buffers: no fresh (keys,)
    # temporary is paged in per operation. The keys are sorted (consolidate), so each
    # unit's keys are one slice: its mean and scale are scalars there, not gathered per
    # key, and the slice stays in cache across the three operations.
    bounds = np.searchsorted(unit, np.arange(n_units + 1)).tolist()
    spans = [(u, bounds[u], bounds[u + 1]) for u in range(n_units) if bounds[u + 1] > bounds[u]]
    a, work = np.empty(unit.shape[0]), np.empty(unit.shape[0])
    all_rows = slice(n_units * n_psu, size)  # the _ALL_ row of q
    for i in range(n_items):
        sw_i, num_i, mean_i, scale_i = s["ssu_sw"][i], s[num][i], mean[i], scale[i]
        for u, lo, hi in spans:
            x = a[lo:hi]
            np.multiply(sw_i[lo:hi], mean_i[u], out=x)
            np.subtract(num_i[lo:hi], x, out=x)
            x *= scale_i[u]
        a_all = (pairs[num][i] - mean[i, n_units] * pairs["ssu_sw"][i]) * scale[i, n_units]
        q = np.bincount(group, np.multiply(a, a, out=work), size)
        q[all_rows] += np.bincount(layout.ssu_psu, a_all * a_all, n_psu)
        if phi is not None:
            shift = np.einsum("kc,kc->k", pair_base, phi[i][unit])
            shift_all = base @ phi[i, n_units]
            q -= 2 * (np.bincount(group, a * shift, size)
                      + np.bincount(all_group, a_all * shift_all, size))  # fmt: skip
        q = q.reshape(n_units + 1, n_psu)
        if phi is not None:
            q += np.einsum("uc,pcd,ud->up", phi[i], gram, phi[i])
        q[fixed[i]] = 0.0
        out[i] = second_stage_variance(z[i].T, q.T, m, layout.psu_fraction, layout.ssu_fraction)
    return out


def per_psu(key_sums: np.ndarray, group: np.ndarray, n_units: int, n_psu: int) -> np.ndarray:
    """(unit, PSU) sums of distinct (unit, SSU) keys' sums (I, K) (an SSU lies in one PSU),
    with ``_ALL_`` appended: shape (I, U+1, P). ``group`` is :func:`consolidate`'s."""
    n_items = key_sums.shape[0]
    out = np.empty((n_items, n_units + 1, n_psu))
    for i in range(n_items):
        out[i, :n_units] = np.bincount(group, key_sums[i], n_units * n_psu).reshape(n_units, n_psu)
    out[:, n_units] = out[:, :n_units].sum(axis=1)
    return out


def consolidate(s: dict, n_ssu: int, ssu_psu: np.ndarray) -> dict[str, np.ndarray]:
    """The sparse SSU sums on distinct (unit, SSU) keys, in ``s``, and their SSU totals.

    Equal keys of different chunks are added (in ``s``: ``ssu_key``, ``ssu_sw``,
    ``ssu_swy``, ``ssu_sws`` replaced by their sums per distinct key) before anything is
    squared. Returns ``unit``, ``ssu``, ``group`` (unit · P + PSU) of the keys, shape (K',),
    and ``ssu_sw``, ``ssu_swy``, ``ssu_sws`` of the ``_ALL_`` domain per SSU, shape (I, S).
    One chunk's keys are already distinct: its arrays are used as they are (no copy).
    """
    raw = s["ssu_key"]
    if raw.size >= 2 and not (raw[1:] > raw[:-1]).all():  # several chunks: add equal keys
        key, inv = np.unique(raw, return_inverse=True)
        s["ssu_key"] = key
        for name in ("ssu_sw", "ssu_swy", "ssu_sws"):
            s[name] = _rows(np.bincount(inv, v, key.shape[0]) for v in s[name])
    key = s["ssu_key"]
    unit = key // n_ssu
    ssu = unit * n_ssu
    np.subtract(key, ssu, out=ssu)  # key % n_ssu without a second division, in place
    n_units, n_psu = s["rows"].shape
    group = unit * n_psu
    group += ssu_psu[ssu]
    out = {"unit": unit, "ssu": ssu, "group": group}
    for name in ("ssu_sw", "ssu_swy", "ssu_sws"):
        out[name] = _rows(np.bincount(ssu, v, n_ssu) for v in s[name])
    return out


def _rows(vectors) -> np.ndarray:
    """Equal-length vectors as the rows of a matrix (zero rows: shape (0, 0))."""
    out = list(vectors)
    return np.stack(out) if out else np.zeros((0, 0))


def _cell_base(s: dict, n_ssu: int, n_cells: int) -> np.ndarray:
    """``B`` (S, C): base weight of every SSU in every raking cell."""
    flat = np.bincount(s["ssu_cell_key"], s["ssu_cell_base"], n_ssu * n_cells)
    return flat.reshape(n_ssu, n_cells)


def _gram(base: np.ndarray, ssu_psu: np.ndarray, n_psu: int) -> np.ndarray:
    """``Σ_{j in PSU i} B_j B_jᵀ``, shape (P, C, C)."""
    c = base.shape[1]
    out = np.empty((n_psu, c, c))
    for a in range(c):
        for b in range(c):
            out[:, a, b] = np.bincount(ssu_psu, base[:, a] * base[:, b], n_psu)
    return out
