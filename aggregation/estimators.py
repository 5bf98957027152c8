"""Closed-form estimator formulas of docs/ESTIMATORS.md, vectorised over many domain × item cells.

Every function returns plain float arrays with ``nan`` where a value is undefined, together
with an object array of reasons (``None`` where the value is defined). The result rows turn
``nan`` into JSON null and carry the reason, so no undefined value goes out unexplained.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from aggregation import estimates as R


def reasons(k: int, rules: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Object array of length ``k``: the first rule whose mask is true gives the reason."""
    out = np.full(k, None, dtype=object)
    for mask, text in reversed(rules):
        out[np.broadcast_to(mask, (k,))] = text
    return out


def t_quantile(level: float, df: np.ndarray | int) -> np.ndarray:
    """``t((1 + level)/2, df)``; nan where ``df <= 0`` (R's ``qt`` gives NaN there too)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1), (1 + level) / 2), np.nan)


def t_interval(estimate, se, df, level: float):
    """``estimate ± t((1+level)/2, df) · se`` (docs/ESTIMATORS.md (a), ``confint(df = degf)``).

    Returns
    -------
    low, high : ndarray, shape (k,)
    reason : ndarray of object, shape (k,)
    """
    est = np.asarray(estimate, dtype=float)
    t = t_quantile(level, df)
    half = t * np.asarray(se, dtype=float)
    why = reasons(est.shape[0], [(np.isnan(est), R.NO_ANSWERS), (np.isnan(t), R.NO_DESIGN_DF)])
    return est - half, est + half, why


def design_effect(var, n, sum_w, ss_w, all_equal):
    """Design effect ``deff = V / V_srs`` and ``n_eff = n_D / deff`` (docs/ESTIMATORS.md (a)).

    ``S²_w = n_D/(n_D − 1) · ss_w / N_D``, ``V_srs = (1 − n_D/N_D) · S²_w / n_D`` with
    ``ss_w = Σ d_k w_k (y_k − ybar_D)²``; as ``svymean(deff = TRUE)``.

    Parameters
    ----------
    var, n, sum_w, ss_w : ndarray, shape (k,)
        ``V``, ``n_D``, ``N_D`` and ``ss_w`` of each domain.
    all_equal : ndarray of bool, shape (k,)
        Every answer in the domain is the same.
    """
    var, n, sum_w, ss_w = (np.asarray(a, dtype=float) for a in (var, n, sum_w, ss_w))
    ok_n = n >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        s2w = n / np.where(ok_n, n - 1, 1) * ss_w / sum_w
        v_srs = (1 - n / sum_w) * s2w / n
        deff = var / v_srs
        n_eff = n / deff
    why = reasons(
        n.shape[0],
        [
            (n == 0, R.NO_ANSWERS),
            (~ok_n, R.ONE_ANSWER),
            (all_equal | (ss_w <= 0), R.ALL_EQUAL),
            (sum_w <= n, R.WEIGHTS_TOO_SMALL),
            (var <= 0, R.ZERO_VARIANCE),
        ],
    )
    # Zero design variance leaves deff = 0 defined but the effective n infinite.
    deff_ok = (why == None) | (why == R.ZERO_VARIANCE)  # noqa: E711 - elementwise
    neff_ok = why == None  # noqa: E711
    return np.where(deff_ok, deff, np.nan), np.where(neff_ok, n_eff, np.nan), why


def kish(n, sum_w, sum_w2):
    """Kish ``deff = n Σw² / (Σw)²`` and ``n_eff = (Σw)² / Σw²`` (ESTIMATORS (a)); nan if n = 0."""
    n, sum_w, sum_w2 = (np.asarray(a, dtype=float) for a in (n, sum_w, sum_w2))
    with np.errstate(divide="ignore", invalid="ignore"):
        deff = np.where(n > 0, n * sum_w2 / sum_w**2, np.nan)
        neff = np.where(n > 0, sum_w**2 / sum_w2, np.nan)
    return deff, neff


def logit_interval(p, se, df: int, level: float, at_bound):
    """Logit interval ``expit(logit(p) ± t(df) · SE / (p(1 − p)))`` (docs/ESTIMATORS.md (c)).

    ``at_bound`` marks p = 0 or 1 (decided from counts, not float equality): null there.
    """
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    t = t_quantile(level, df)
    why = reasons(
        p.shape[0],
        [(np.isnan(p), R.NO_ANSWERS), (at_bound, R.P_AT_BOUND), (np.isnan(t), R.NO_DESIGN_DF)],
    )
    ok = why == None  # noqa: E711
    q = np.where(ok, p, 0.5)
    half = t * se / (q * (1 - q))
    centre = special.logit(q)
    low, high = special.expit(centre - half), special.expit(centre + half)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan), why


def korn_graubard(p, se, nrow, degf, level: float, at_bound):
    """Korn–Graubard (``svyciprop(method = "beta")``) interval (docs/ESTIMATORS.md (c)).

    ``n_eff = p(1 − p)/SE² · (t(nrow − 1) / t(degf))²``; the interval is
    ``[qbeta(α/2, n_eff p, n_eff (1 − p) + 1), qbeta(1 − α/2, n_eff p + 1, n_eff (1 − p))]``.

    Returns
    -------
    low, high, n_eff : ndarray, shape (k,)
    reason : ndarray of object, shape (k,)
    """
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    nrow, degf = np.asarray(nrow), np.asarray(degf)
    why = reasons(
        p.shape[0],
        [
            (np.isnan(p), R.NO_ANSWERS),
            (degf <= 0, R.NO_UNIT_DF),
            (at_bound, R.P_AT_BOUND),
            (nrow < 2, R.ONE_ROW),
            (se <= 0, R.ZERO_VARIANCE),
        ],
    )
    ok = why == None  # noqa: E711
    q, s = np.where(ok, p, 0.5), np.where(ok, se, 1.0)
    ratio = t_quantile(level, np.where(ok, nrow - 1, 1)) / t_quantile(level, np.where(ok, degf, 1))
    n_eff = q * (1 - q) / s**2 * ratio**2
    alpha = 1 - level
    low = special.betaincinv(n_eff * q, n_eff * (1 - q) + 1, alpha / 2)
    high = special.betaincinv(n_eff * q + 1, n_eff * (1 - q), 1 - alpha / 2)
    nan = np.nan
    return np.where(ok, low, nan), np.where(ok, high, nan), np.where(ok, n_eff, nan), why


def unweighted_t(n, sum_y, sum_y2, level: float):
    """Mean, sd (n − 1), ``SE = sd/√n`` and ``t.test`` interval (docs/ESTIMATORS.md (d)).

    Returns
    -------
    mean, sd, se, low, high : ndarray, shape (k,)
    reason : ndarray of object, shape (k,)
        Why ``sd`` (and so SE and the interval) is null.
    """
    n, s1, s2 = (np.asarray(a, dtype=float) for a in (n, sum_y, sum_y2))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s1 / n, np.nan)
        ss = np.maximum(s2 - s1 * mean, 0.0)  # rounding can dip below 0 for constant data
        sd = np.where(n > 1, np.sqrt(ss / (n - 1)), np.nan)
        se = sd / np.sqrt(n)
    half = t_quantile(level, n - 1) * se
    why = reasons(n.shape[0], [(n == 0, R.NO_ANSWERS), (n < 2, R.ONE_ANSWER)])
    return mean, sd, se, mean - half, mean + half, why
