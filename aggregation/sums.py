"""Mergeable sufficient statistics of the survey part of the index (map → reduce).

Every survey figure of the index is a design-weighted domain mean of respondent scores
(DOMAIN.md), and its linearised scores only enter the variance through their PSU totals
(docs/ESTIMATORS.md (a), (e)). Both follow from three sums per key
(criteria set, sub-criterion, unit, group, stratum, PSU) over the respondents with a
valid score: ``Σ w``, ``Σ w·y`` and their number:

    ybar_D = Σ_hi S_wy / Σ_hi S_w,      z_hi = (S_wy,hi − ybar_D · S_w,hi) / Σ_hi S_w

A chunk of responses maps to :class:`IndexSums`; sums of any split of the rows merge
(:func:`merge`) to the sums of the whole, so a round can be fanned out over processes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from aggregation.inputs import CriteriaSet, IndexInputError, Responses, Scale
from aggregation.points import item_fractions, respondent_scores

KEYS = ("set", "sub", "unit", "group", "stratum", "psu")


@dataclass(frozen=True)
class IndexSums:
    """Sums per key (``keys[name]`` are str arrays of length k) and the PSUs seen.

    ``psus`` (shape (p, 2): stratum, PSU) lists every PSU with a response, valid or not:
    the design's df and the PSU formula count them all (docs/ESTIMATORS.md notation).
    ``strata``/``stratum_n`` count the responses per stratum, from which frame weights
    (population / responses in the stratum) follow once all chunks are merged.
    """

    keys: Mapping[str, np.ndarray]
    sum_w: np.ndarray
    sum_wy: np.ndarray
    count: np.ndarray
    psus: np.ndarray
    n_responses: int
    strata: np.ndarray = field(default_factory=lambda: np.empty(0, str))
    stratum_n: np.ndarray = field(default_factory=lambda: np.empty(0))

    def to_bytes(self) -> bytes:
        """A compact, portable serialisation (``numpy.savez``), for storing partial sums."""
        buf = io.BytesIO()
        arrays = {f"key_{k}": v.astype(str) for k, v in self.keys.items()}
        np.savez(
            buf,
            sum_w=self.sum_w,
            sum_wy=self.sum_wy,
            count=self.count,
            psus=self.psus.astype(str),
            n=np.array([self.n_responses]),
            strata=self.strata.astype(str),
            stratum_n=self.stratum_n,
            **arrays,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IndexSums:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls(
                {k: z[f"key_{k}"] for k in KEYS},
                z["sum_w"],
                z["sum_wy"],
                z["count"],
                z["psus"].reshape(-1, 2),
                int(z["n"][0]),
                z["strata"],
                z["stratum_n"],
            )


def map_responses(
    criteria_sets: Iterable[CriteriaSet], scales: Mapping[str, Scale], responses: Responses
) -> IndexSums:
    """Sums of one chunk of responses (any subset of rows, with their final weights).

    Raises
    ------
    IndexInputError
        If a weight is missing, zero or negative (the design needs positive weights).
    """
    bad = ~np.isfinite(responses.weight) | (responses.weight <= 0)
    if bad.any():
        raise IndexInputError(
            f"{int(bad.sum())} weight(s) are missing, zero or negative "
            f"(first at row {int(np.flatnonzero(bad)[0])})"
        )
    columns = {item: j for j, item in enumerate(responses.items)}
    cells = _Cells.of(responses)
    parts = [
        _map_sub(cs, sub, responses, columns, scales, cells)
        for cs in criteria_sets
        for sub in cs.subcriteria
        if sub.source == "survey"
    ]
    strata, stratum_n = np.unique(responses.stratum.astype(str), return_counts=True)
    return replace(
        _concat(parts, cells.psus, responses.n), strata=strata, stratum_n=stratum_n.astype(float)
    )


@dataclass(frozen=True)
class _Cells:
    """Respondents coded by cell (unit, group, PSU) with integer codes, and the labels."""

    code: np.ndarray  # (n,) cell of each respondent, 0 .. n_cells - 1
    unit: np.ndarray  # (n_cells,) labels of each cell
    group: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psus: np.ndarray  # (p, 2) every (stratum, PSU) of the chunk

    @classmethod
    def of(cls, r: Responses) -> _Cells:
        units, u = _factorize(r.unit.astype(str))
        groups, g = _factorize(r.group.astype(str))
        pairs, p = _factorize_pairs(r.stratum.astype(str), r.psu.astype(str))
        combined = (u.astype(np.int64) * len(groups) + g) * max(len(pairs), 1) + p
        cell_ids, code = np.unique(combined, return_inverse=True)
        cu, rest = np.divmod(cell_ids, len(groups) * max(len(pairs), 1))
        cg, cp = np.divmod(rest, max(len(pairs), 1))
        return cls(code.reshape(-1), units[cu], groups[cg], pairs[cp, 0], pairs[cp, 1], pairs)


def _factorize_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique (a, b) pairs, shape (p, 2), and each row's pair index."""
    if a.shape[0] == 0:
        return np.empty((0, 2), dtype=str), np.empty(0, dtype=np.int64)
    ua, ia = _factorize(a)
    ub, ib = _factorize(b)
    ids, code = np.unique(ia.astype(np.int64) * len(ub) + ib, return_inverse=True)
    qa, qb = np.divmod(ids, len(ub))
    return np.stack([ua[qa], ub[qb]], axis=1), code.reshape(-1)


def _map_sub(cs, sub, responses: Responses, columns, scales, cells: _Cells) -> IndexSums:
    try:
        idx = [columns[i] for i in sub.items]
    except KeyError as exc:
        raise IndexInputError(f"item {exc.args[0]} of {sub.code} has no responses column") from None
    score = respondent_scores(
        item_fractions(responses.answers[:, idx], [scales[i] for i in sub.items])
    )
    valid = ~np.isnan(score)
    w = np.where(valid, responses.weight, 0.0)
    k = cells.unit.shape[0]
    sum_w = np.bincount(cells.code, weights=w, minlength=k)
    sum_wy = np.bincount(cells.code, weights=np.where(valid, w * score, 0.0), minlength=k)
    count = np.bincount(cells.code, weights=valid.astype(float), minlength=k)
    keep = count > 0
    keys = {
        "set": np.full(keep.sum(), cs.code),
        "sub": np.full(keep.sum(), sub.code),
        "unit": cells.unit[keep],
        "group": cells.group[keep],
        "stratum": cells.stratum[keep],
        "psu": cells.psu[keep],
    }
    return IndexSums(keys, sum_w[keep], sum_wy[keep], count[keep], np.empty((0, 2), str), 0)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _row_codes(columns: list[np.ndarray]) -> np.ndarray:
    """Dense codes of the rows of integer-coded ``columns``, in lexicographic row order.

    The ``inverse`` of ``np.unique(np.stack(columns, axis=1), axis=0)``, without sorting
    rows as records (ten times slower): two columns at a time are combined into one
    integer and coded densely again, so the combination never overflows.
    """
    code = columns[0].astype(np.int64)
    for column in columns[1:]:
        code = _factorize(code * (int(column.max()) + 1) + column)[1]
    return code


def _concat(parts: list[IndexSums], psus: np.ndarray, n: int) -> IndexSums:
    if not parts:
        empty = np.empty(0)
        return IndexSums({k: np.empty(0, str) for k in KEYS}, empty, empty, empty, psus, n)
    keys = {k: np.concatenate([p.keys[k] for p in parts]) for k in KEYS}
    return IndexSums(
        keys,
        np.concatenate([p.sum_w for p in parts]),
        np.concatenate([p.sum_wy for p in parts]),
        np.concatenate([p.count for p in parts]),
        psus,
        n,
    )


def merge(parts: Iterable[IndexSums]) -> IndexSums:
    """Add up sums of disjoint chunks: equal keys are summed, PSU lists united."""
    parts = list(parts)
    if not parts:
        raise IndexInputError("no partial sums to merge")
    psus = np.concatenate([p.psus.reshape(-1, 2) for p in parts])
    psus = np.unique(psus, axis=0) if psus.size else psus.reshape(0, 2)
    all_strata = np.concatenate([p.strata for p in parts])
    strata, at = np.unique(all_strata, return_inverse=True)
    stratum_n = np.bincount(
        at.reshape(-1),
        weights=np.concatenate([p.stratum_n for p in parts]),
        minlength=strata.shape[0],
    )
    joined = replace(
        _concat(parts, psus, sum(p.n_responses for p in parts)), strata=strata, stratum_n=stratum_n
    )
    if joined.sum_w.size == 0:
        return joined
    inverse = _row_codes([_factorize(joined.keys[k])[1] for k in KEYS])
    m = int(inverse.max()) + 1
    first = np.zeros(m, dtype=int)
    first[inverse[::-1]] = np.arange(inverse.shape[0])[::-1]
    return IndexSums(
        {k: v[first] for k, v in joined.keys.items()},
        np.bincount(inverse, weights=joined.sum_w, minlength=m),
        np.bincount(inverse, weights=joined.sum_wy, minlength=m),
        np.bincount(inverse, weights=joined.count, minlength=m),
        joined.psus,
        joined.n_responses,
        strata,
        stratum_n,
    )


def reweight(sums: IndexSums, weight_of_stratum: Mapping[str, float]) -> IndexSums:
    """Sums mapped with unit weights → sums with a weight per stratum.

    Exact when every respondent of a stratum has the same weight, as frame weights
    (population / responses in the stratum) do: ``Σ w = w_h n`` and ``Σ w·y = w_h Σ y``.

    Raises
    ------
    IndexInputError
        If a stratum has no weight (it is missing from the sampling frame) or a
        weight is not positive.
    """
    missing = sorted(set(sums.strata.tolist()) - set(weight_of_stratum))
    if missing:
        raise IndexInputError(
            f"stratum '{missing[0]}' has responses but no weight (is it in the sampling frame?)"
        )
    bad = [s for s in sums.strata.tolist() if not weight_of_stratum[s] > 0]
    if bad:
        raise IndexInputError(f"stratum '{bad[0]}' has a weight that is not positive")
    w = np.array([weight_of_stratum[s] for s in sums.keys["stratum"].tolist()], dtype=float)
    return replace(sums, sum_w=sums.sum_w * w, sum_wy=sums.sum_wy * w)


class SurveyEstimates:
    """The reduce step: group means ``m(u,s,g)`` with SEs and PSU totals, from merged sums.

    Estimates are built on demand (one dense ``z_hi`` of length n_psu at a time), so a
    national round does not hold one array per unit × sub-criterion × group.
    """

    def __init__(self, sums: IndexSums) -> None:
        from aggregation.design import make_design
        from aggregation.points import PsuFrame

        psus = sums.psus.reshape(-1, 2)
        pair = np.char.add(np.char.add(psus[:, 0], "\x1f"), psus[:, 1])
        self._psu_index = {p: i for i, p in enumerate(pair.tolist())}
        psu_design = make_design(len(pair), strata=psus[:, 0])
        #: one row per PSU, each its own PSU in its stratum: the PSU formula on totals
        self.frame = PsuFrame(design=psu_design, psu_design=psu_design)
        self.n_responses = sums.n_responses
        self._sums = sums
        self._rows = self._index_rows(sums)

    @staticmethod
    def _index_rows(sums: IndexSums) -> dict[tuple[str, str, str, str], np.ndarray]:
        key = list(
            zip(
                sums.keys["set"].tolist(),
                sums.keys["sub"].tolist(),
                sums.keys["unit"].tolist(),
                sums.keys["group"].tolist(),
                strict=True,
            )
        )
        rows: dict[tuple[str, str, str, str], list[int]] = {}
        for i, k in enumerate(key):
            rows.setdefault(k, []).append(i)
        return {k: np.array(v) for k, v in rows.items()}

    @property
    def df(self) -> int:
        return self.frame.design.df

    @property
    def n_psu(self) -> int:
        return self.frame.design.n_psu

    def group(self, set_code: str, sub: str, unit: str, group: str):
        """``m(u,s,g)`` (docs/ESTIMATORS.md (a) from the sums); ``n == 0`` where no valid answer."""
        from aggregation.points import GroupEstimate

        rows = self._rows.get((set_code, sub, unit, group))
        if rows is None:
            return GroupEstimate(n=0, mean=None, se=None, z_hi=np.zeros(self.n_psu))
        s = self._sums
        n_w = s.sum_w[rows].sum()
        mean = float(s.sum_wy[rows].sum() / n_w)
        z_hi = np.zeros(self.n_psu)
        pairs = np.char.add(np.char.add(s.keys["stratum"][rows], "\x1f"), s.keys["psu"][rows])
        at = np.array([self._psu_index[p] for p in pairs.tolist()])
        np.add.at(z_hi, at, (s.sum_wy[rows] - mean * s.sum_w[rows]) / n_w)
        se = float(np.sqrt(self.frame.variance(z_hi)))
        return GroupEstimate(n=int(round(s.count[rows].sum())), mean=mean, se=se, z_hi=z_hi)
