"""Reduce merged sufficient statistics to the estimates of docs/ESTIMATORS.md (a)–(d)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aggregation import estimates as R
from aggregation import estimators as E
from aggregation.design import psu_variance_from_totals
from aggregation.raking import RakingFit, rake_cell_correction
from aggregation.stages import consolidate, per_psu, stage_two_variance
from aggregation.sufficient import Layout, PartialSums

_EXTREME = {"y_min": np.min, "y_max": np.max}


@dataclass(frozen=True)
class _Fitted:
    """Point estimates and PSU score totals of every (item, unit) including ``_ALL_``."""

    mean: np.ndarray  # (I, U+1)
    prop: np.ndarray  # (I, U+1)
    z_mean: np.ndarray  # (I, U+1, P)
    z_prop: np.ndarray  # (I, U+1, P)
    var_mean: np.ndarray  # (I, U+1)
    var_prop: np.ndarray  # (I, U+1)


def reduce_sums(
    layout: Layout,
    sums: PartialSums,
    *,
    raking: RakingFit | None = None,
    level: float = 0.95,
    units: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
) -> R.EstimateSet:
    """Estimates from merged partial sums, for the base design or (with ``raking``) raked.

    Parameters
    ----------
    layout : Layout
        The coding the sums were mapped with.
    sums : PartialSums
        Merged over all chunks; for a raked design mapped with ``raking.factor``.
    raking : RakingFit, optional
        Adds R ``rake()``'s variance correction (docs/ESTIMATORS.md (b)).
    level : float
        Confidence level of every interval.
    units, items : sequence of str, optional
        Labels of the unit and item codes (default: the codes as strings).
    """
    units = tuple(units or (str(u) for u in range(layout.n_units))) + (R.ALL,)
    items = tuple(items or (f"item{i}" for i in range(layout.n_items)))
    s, pairs = _with_all(layout, sums)
    fitted = _fit(layout, s, pairs, raking)
    n_strata = int(np.unique(layout.psu_stratum).shape[0])
    df = layout.n_psu - n_strata
    design = "base" if raking is None else "raked"
    t = E.t_quantile(level, df)
    scores = R.DomainScores(
        items, units, fitted.mean, fitted.prop, fitted.z_mean, fitted.z_prop,
        layout.psu_stratum, df,
    )  # fmt: skip
    return R.EstimateSet(
        design=design,
        df=df,
        level=level,
        t_quantile=None if np.isnan(t) else float(t),
        n_rows=int(sums.rows.sum()),
        n_psu=layout.n_psu,
        n_strata=n_strata,
        means=_mean_rows(design, df, level, s, fitted, items, units),
        proportions=_prop_rows(layout, design, df, level, s, fitted, items, units),
        unweighted=_unweighted_rows(level, s, items, units),
        kish=_kish_rows(design, sums, units[:-1]),
        scores=scores,
        raking=raking,
    )


def _with_all(layout: Layout, sums: PartialSums) -> tuple[dict[str, np.ndarray], dict | None]:
    """Arrays with the ``_ALL_`` domain appended on the unit axis (axis 1 of item arrays),
    and for two stages the :func:`aggregation.stages.consolidate` d keys (else None)."""
    out = sums.as_arrays()
    pairs = None
    if layout.second_stage:  # (unit, PSU) sums from the merged (unit, SSU) sums
        pairs = consolidate(out, layout.n_ssu, layout.ssu_psu)
        for key in ("sw", "swy", "sws"):
            out[key] = per_psu(out["ssu_" + key], pairs["group"], layout.n_units, layout.n_psu)
    for key in ("sw", "swy", "sws", "n", "swy2", "sw2", "n_sat", "sy", "sy2", "y_min", "y_max",
                "cell_n", "cell_y", "cell_sat"):  # fmt: skip
        a = out[key]
        if pairs is not None and key in ("sw", "swy", "sws"):  # per_psu added _ALL_
            continue
        total = _EXTREME.get(key, np.sum)(a, axis=1, keepdims=True)
        out[key] = np.concatenate([a, total], axis=1)
    return out, pairs


@dataclass(frozen=True)
class DomainMeans:
    """Weighted means of every (item, unit) of the base design, as :func:`reduce_sums` has them.

    Attributes
    ----------
    n : ndarray, shape (I, U)
        Answers.
    mean : ndarray, shape (I, U)
        ``ybar = Σ d w y / Σ d w`` (nan without answers).
    z : ndarray, shape (I, U, P)
        PSU totals of the linearised scores (docs/ESTIMATORS.md (a)): the variance of any
        linear combination of means is that of the same combination of these (e).
    var : ndarray, shape (I, U)
        R ``svyrecvar`` of each mean, with the layout's fpc.
    """

    n: np.ndarray
    mean: np.ndarray
    z: np.ndarray
    var: np.ndarray


def domain_means(layout: Layout, sums: PartialSums) -> DomainMeans:
    """The means part of :func:`reduce_sums` alone (no ``_ALL_``, proportions or intervals).

    The index's survey part (:mod:`aggregation.sums`) gets its group means from here, so
    it runs the code that the R references of ``parindex estimate`` check.
    """
    if layout.second_stage:
        raise ValueError("domain_means covers one-stage designs; use reduce_sums")
    s = sums.as_arrays()
    mean, z, var = _fit_one(layout, s, None, None, "swy", "cell_y", _constant_answer(s))
    return DomainMeans(s["n"], mean, z, var)


def _fit(layout: Layout, s: dict, pairs, raking: RakingFit | None) -> _Fitted:
    mean, z_mean, var_mean = _fit_one(layout, s, pairs, raking, "swy", "cell_y",
                                      _constant_answer(s))  # fmt: skip
    prop, z_prop, var_prop = _fit_one(layout, s, pairs, raking, "sws", "cell_sat",
                                      _constant_share(s))  # fmt: skip
    return _Fitted(mean, prop, z_mean, z_prop, var_mean, var_prop)


def _fit_one(layout: Layout, s: dict, pairs, raking, num: str, cell_sum: str, constant):
    """Estimate, PSU score totals and variance of ``Σ num / Σ sw`` per (item, domain)."""
    est, z = _ratio_scores(s[num], s["sw"])
    phi = None
    if raking is not None:
        phi = _rake_phi(raking, s, est, s[cell_sum])
        z = z - _psu_correction(s, phi)
    est, z = _exact_if_constant(est, z, constant)
    return est, z, _variance(layout, s, pairs, z, "ssu_" + num, est, phi, constant)


def _constant_answer(s: dict) -> np.ndarray:
    """The common answer of domains where all answers are equal, else nan."""
    return np.where(s["y_min"] == s["y_max"], s["y_min"], np.nan)


def _constant_share(s: dict) -> np.ndarray:
    """0 or 1 where no one or everyone answering is satisfied, else nan."""
    answered = s["n"] > 0
    none, all_ = answered & (s["n_sat"] == 0), answered & (s["n_sat"] == s["n"])
    return np.where(none, 0.0, np.where(all_, 1.0, np.nan))


def _exact_if_constant(est: np.ndarray, z: np.ndarray, constant: np.ndarray):
    """Without spread every score is 0 and the estimate is the common value, exactly.

    Rounding would otherwise leave an SE of ~1e-16 (R shows such noise) instead of 0.
    """
    fixed = ~np.isnan(constant)
    return np.where(fixed, constant, est), np.where(fixed[..., None], 0.0, z)


def _ratio_scores(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ybar = Σ num / Σ den`` and PSU totals ``z_hi = (num_hi − ybar den_hi) / Σ den`` (a)."""
    total = den.sum(axis=-1)
    safe = np.where(total > 0, total, 1.0)
    est = np.where(total > 0, num.sum(axis=-1) / safe, np.nan)
    z = (num - np.nan_to_num(est)[..., None] * den) / safe[..., None]
    return est, z


def _rake_phi(fit: RakingFit, s: dict, est: np.ndarray, cell_sum: np.ndarray) -> np.ndarray:
    """``Φ`` per (item, domain, cell): row k's score loses ``base_k Φ(c_k)`` (ESTIMATORS (b))."""
    total = s["sw"].sum(axis=-1)
    safe = np.where(total > 0, total, 1.0)[..., None]
    cell_scores = (cell_sum - np.nan_to_num(est)[..., None] * s["cell_n"]) / safe
    shape = cell_scores.shape
    phi = rake_cell_correction(fit, s["cell_rows"], cell_scores.reshape(-1, shape[-1]))
    return phi.reshape(shape[:-1] + (-1,))


def _psu_correction(s: dict, phi: np.ndarray) -> np.ndarray:
    """PSU totals of ``base_k Φ(c_k)``, shape (I, U+1, P)."""
    return np.einsum("pc,iuc->iup", s["psu_cell_base"], phi)


def _variance(layout: Layout, s: dict, pairs, z, num: str, est, phi, fixed) -> np.ndarray:
    """R ``svyrecvar``: stage 1 with its fpc, plus stage 2 when stage 1 has an fpc."""
    flat = z.reshape(int(np.prod(z.shape[:-1])), z.shape[-1]).T  # -1 is ambiguous when empty
    var = psu_variance_from_totals(flat, layout.psu_stratum, layout.psu_fraction)
    var = var.reshape(z.shape[:-1])
    if layout.second_stage:
        var += stage_two_variance(layout, s, pairs, num, est, phi, ~np.isnan(fixed), z)
    return var


def _opt(x) -> float | None:
    return None if np.isnan(x) else float(x)


def _mean_rows(design, df, level, s, fit: _Fitted, items, units) -> list[R.MeanRow]:
    n, sum_w = s["n"].ravel(), s["sw"].sum(axis=-1).ravel()
    mean, var = fit.mean.ravel(), fit.var_mean.ravel()
    se = np.sqrt(var)
    low, high, ci_why = E.t_interval(mean, se, df, level)
    ss_w = s["swy2"].ravel() - np.nan_to_num(mean) * s["swy"].sum(axis=-1).ravel()
    equal = (s["y_min"] == s["y_max"]).ravel()
    deff, n_eff, deff_why = E.design_effect(var, n, sum_w, ss_w, equal)
    kish_deff, _ = E.kish(n, sum_w, s["sw2"].ravel())
    se_why = _se_noise(mean, se)
    rows = []
    for k, (item, unit) in enumerate((i, u) for i in items for u in units):
        empty = n[k] == 0
        rows.append(R.MeanRow(
            design, item, unit, int(n[k]), _opt(mean[k]), None if empty else float(se[k]),
            _opt(low[k]), _opt(high[k]), df, _opt(deff[k]), _opt(n_eff[k]), float(sum_w[k]),
            _opt(kish_deff[k]), R.NO_ANSWERS if empty else None, ci_why[k], deff_why[k],
            se_why[k],
        ))  # fmt: skip
    return rows


def _se_noise(est: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Reason where ``0 < SE < 1e-8 |estimate|``: rounding noise (docs/ESTIMATORS.md (g)).

    An exact 0 (every answer equal) is not noise: it has its own reasons.
    """
    with np.errstate(invalid="ignore"):
        noise = (se > 0) & (se < R.SE_NOISE_RATIO * np.abs(est))
    return E.reasons(est.shape[0], [(noise, R.SE_ROUNDING)])


def _unit_degf(layout: Layout, rows: np.ndarray) -> np.ndarray:
    """PSUs minus strata with respondents of each unit (R's ``degf`` of the subset)."""
    present = rows > 0
    n_strata = int(layout.psu_stratum.max(initial=-1)) + 1
    strata = np.zeros((rows.shape[0], n_strata), dtype=bool)
    for h in range(n_strata):
        strata[:, h] = present[:, layout.psu_stratum == h].any(axis=1)
    return present.sum(axis=1) - strata.sum(axis=1)


def _prop_rows(layout, design, df, level, s, fit: _Fitted, items, units) -> list:
    n_units = layout.n_units
    n = s["n"][:, :n_units].ravel()
    p = fit.prop[:, :n_units].ravel()
    se = np.sqrt(fit.var_prop[:, :n_units].ravel())
    n_sat = s["n_sat"][:, :n_units].ravel()
    bound = (n_sat == 0) | (n_sat == n)
    unit_rows = s["rows"].sum(axis=1)
    nrow = np.tile(unit_rows if design == "base" else np.full(n_units, unit_rows.sum()), len(items))
    degf = np.tile(_unit_degf(layout, s["rows"]), len(items))
    lo, hi, why = E.logit_interval(p, se, df, level, bound)
    b_lo, b_hi, b_neff, b_why = E.korn_graubard(p, se, nrow, degf, level, bound)
    note = None if design == "base" else R.RAKED_NROW
    se_why = _se_noise(p, se)
    rows = []
    for k, (item, unit) in enumerate((i, u) for i in items for u in units[:n_units]):
        empty = n[k] == 0
        rows.append(R.ProportionRow(
            design, item, unit, int(n[k]), _opt(p[k]), None if empty else float(se[k]),
            _opt(lo[k]), _opt(hi[k]), df, _opt(b_lo[k]), _opt(b_hi[k]), int(nrow[k]),
            int(degf[k]), _opt(b_neff[k]), why[k], b_why[k], note, se_why[k],
        ))  # fmt: skip
    return rows


def _unweighted_rows(level, s, items, units) -> list[R.UnweightedRow]:
    n = s["n"].ravel()
    mean, sd, se, low, high, why = E.unweighted_t(n, s["sy"].ravel(), s["sy2"].ravel(), level)
    rows = []
    for k, (item, unit) in enumerate((i, u) for i in items for u in units):
        rows.append(R.UnweightedRow(
            item, unit, int(n[k]), _opt(mean[k]), _opt(sd[k]), _opt(se[k]), _opt(low[k]),
            _opt(high[k]), max(int(n[k]) - 1, 0), why[k],
        ))  # fmt: skip
    return rows


def _kish_rows(design, sums: PartialSums, units) -> list[R.KishRow]:
    n = sums.rows.sum(axis=1)
    deff, neff = E.kish(n, sums.unit_w, sums.unit_w2)
    why = E.reasons(n.shape[0], [(n == 0, "the unit has no respondents")])
    return [
        R.KishRow(
            design,
            unit,
            int(n[u]),
            float(sums.unit_w[u]),
            float(sums.unit_w2[u]),
            _opt(neff[u]),
            _opt(deff[u]),
            why[u],
        )  # fmt: skip
        for u, unit in enumerate(units)
    ]
