"""Element sampling within strata with a finite population: the index's design with a frame.

With a frame the index is R's ``svydesign(ids = ~1, strata = ~stratum, weights = ~w,
fpc = ~population)``: people are sampled within each stratum (unit × group), ``N_h`` the
stratum's population. That design equals the two-stage one whose stage 1 takes every
stratum whole (one PSU per stratum, ``f_h = 1``) and whose stage 2 samples ``n_h`` of the
``N_h`` people: stage 1 adds nothing and stage 2 is
:func:`aggregation.stages.second_stage_variance` with ``g_h = n_h/N_h``
(docs/ESTIMATORS.md (f)).

For a linear combination ``θ = Σ_t c_t ybar_t`` of domain means (docs/ESTIMATORS.md (e)),
stage 2 needs ``Q_h = Σ_{j in h} (Σ_t c_t a_jt)²``, with ``a_jt = w_j d_jt (y_jt − ybar_t)/N_t``
the respondent's linearised score. A respondent is in one domain, so ``Q_h`` is a sum over
the (stratum, domain) blocks b of ``c_bᵀ G_b c_b``, ``G_b[i, i'] = Σ_{j in b} a_ji a_ji'``
over the items i. Expanded, ``G_b`` follows from three mergeable moments per block::

    A = Σ w² d_i d_i' y_i y_i',   B = Σ w² d_i d_i' y_i,   C = Σ w² d_i d_i'
    G = (A − ybar_i' B − ybar_i Bᵀ + ybar_i ybar_i' C) / (N_i N_i')
"""

from __future__ import annotations

import numpy as np

from aggregation.stages import second_stage_variance


def map_moments(block: np.ndarray, n_blocks: int, weight: np.ndarray, y: np.ndarray):
    """``A, B, C`` of every block, shape (n_blocks, 3, I, I).

    Parameters
    ----------
    block : ndarray of int, shape (n,)
        Block (stratum, domain) of every respondent.
    weight : ndarray, shape (n,)
    y : ndarray, shape (n, I)
        Values, nan where not answered.
    """
    items = y.shape[1]
    d = ~np.isnan(y)
    wd = np.where(d, weight[:, None], 0.0)
    wy = np.where(d, wd * np.nan_to_num(y), 0.0)
    # With v = [wy, wd], A, B and C are the blocks of Σ v vᵀ over a block's rows: rows
    # sorted by block, one (2I x 2I) product per block (few blocks, many rows each).
    order = np.argsort(block, kind="stable")
    v = np.concatenate([wy, wd], axis=1)[order]
    counts = np.bincount(block, minlength=n_blocks)
    ends = np.cumsum(counts)
    out = np.empty((n_blocks, 3, items, items))
    for b, (start, end) in enumerate(zip(ends - counts, ends, strict=True)):
        part = v[start:end]
        gram = part.T @ part
        out[b, 0], out[b, 1] = gram[:items, :items], gram[:items, items:]
        out[b, 2] = gram[items:, items:]
    return out


def block_gram(moments: np.ndarray, mean: np.ndarray, total: np.ndarray, fixed: np.ndarray):
    """``G_b`` of every block, shape (M, I, I), from its moments.

    ``mean``, ``total`` (N) and ``fixed`` (every answer equal: scores exactly 0) are those
    of each block's domain, shape (M, I).
    """
    a, b, c = moments[:, 0], moments[:, 1], moments[:, 2]
    m = np.nan_to_num(mean)
    g = a - m[:, None, :] * b - m[:, :, None] * np.swapaxes(b, 1, 2)
    g = g + m[:, :, None] * m[:, None, :] * c
    safe = np.where(total > 0, total, 1.0)
    g = g / (safe[:, :, None] * safe[:, None, :])
    keep = ~fixed & (total > 0)
    return g * (keep[:, :, None] & keep[:, None, :])


def stratum_fraction(population: np.ndarray, sampled: np.ndarray) -> np.ndarray:
    """``g_h`` per stratum as R's ``as.fpc``: counts if any value > 1, else fractions."""
    population = np.asarray(population, dtype=float)
    if (population > 1).any():
        return sampled / population
    return population


def element_variance(
    coef: np.ndarray,
    z: np.ndarray,
    gram: np.ndarray,
    block_stratum: np.ndarray,
    block_domain: np.ndarray,
    sampled: np.ndarray,
    fraction: np.ndarray,
) -> np.ndarray:
    """Variance of linear combinations of domain means under element sampling with fpc.

    Parameters
    ----------
    coef : ndarray, shape (I·D,) or (I·D, k)
        Coefficients over the (item, domain) means, item-major.
    z : ndarray, shape (I, D, H)
        Stratum totals of the linearised scores (:class:`aggregation.reduce.DomainMeans`
        with each stratum as the PSU).
    gram : ndarray, shape (M, I, I)
        :func:`block_gram`; ``block_stratum``, ``block_domain`` (M,) code each block.
    sampled, fraction : ndarray, shape (H,)
        Respondents ``n_h`` and ``g_h = n_h/N_h`` of every stratum.
    """
    c = np.asarray(coef, dtype=float)
    flat = c.reshape(c.shape[0], int(np.prod(c.shape[1:])))
    items, domains, strata = z.shape
    zc = z.reshape(items * domains, strata).T @ flat  # (H, k)
    cb = flat.reshape(items, domains, -1)[:, block_domain, :]  # (I, M, k)
    per_block = np.einsum("imk,mij,jmk->mk", cb, gram, cb)
    q = np.stack([np.bincount(block_stratum, v, strata) for v in per_block.T], axis=1)
    var = second_stage_variance(zc, q, sampled, np.ones(strata), fraction)
    return var.reshape(c.shape[1:])
