"""The index's survey part on the engine of ``parindex estimate``: map → merge → reduce.

Every survey figure of the index is a design-weighted domain mean of respondent scores
(DOMAIN.md). In the terms of :mod:`aggregation.sufficient` the *items* are the survey
sub-criteria (a respondent's value is the mean score fraction of the sub-criterion's
items answered), the *units* are the (unit, respondent group) domains and the PSUs the
(stratum, PSU) pairs of the responses. A chunk of responses maps to :class:`IndexSums`
on codes of its own, labelled; :func:`merge` puts chunks on the codes of their union
(:func:`aggregation.sufficient.relabel`) and adds them; :func:`reduce_survey` gives every
group mean, its SE and the PSU totals of its scores through
:func:`aggregation.reduce.domain_means`, the code the R references of ``parindex
estimate`` check (docs/ESTIMATORS.md (a), (e)).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

import numpy as np

from aggregation.design import psu_variance_from_totals
from aggregation.inputs import CriteriaSet, IndexInputError, IndexInputs, Responses, Scale
from aggregation.points import GroupEstimate, item_fractions, respondent_scores
from aggregation.reduce import DomainMeans, domain_means
from aggregation.sufficient import Chunk, Layout, PartialSums, map_chunk, merge_sums, relabel
from aggregation.validate import validate_inputs, validate_responses

_SEP = "\x1f"


@dataclass(frozen=True)
class IndexSums:
    """Sufficient statistics of some responses, with the labels of their codes.

    Attributes
    ----------
    items : ndarray of str, shape (I, 2)
        (criteria set, sub-criterion) of every survey sub-criterion, in criteria-set order.
    domains : ndarray of str, shape (D, 2)
        (unit, group) of the sums' unit codes.
    psus : ndarray of str, shape (P, 2)
        (stratum, PSU) of the sums' PSU codes: every PSU with a response, valid or not
        (the design's df counts them all).
    sums : PartialSums
        On these codes, one raking cell.
    strata, stratum_n : ndarray, shape (H,)
        Responses per stratum (frame weights and the fpc follow from them).
    n_responses : int
    """

    items: np.ndarray
    domains: np.ndarray
    psus: np.ndarray
    sums: PartialSums
    strata: np.ndarray
    stratum_n: np.ndarray
    n_responses: int

    def to_bytes(self) -> bytes:
        """Portable serialisation (``numpy.savez``) storing only the (domain, PSU) cells with
        respondents: a chunk touches few of them."""
        s = self.sums
        cells = np.flatnonzero(s.rows.ravel() > 0)
        arrays = {}
        for f in fields(s):
            a = getattr(s, f.name)
            if f.name in ("sw", "swy", "sws", "rows"):
                a = a.reshape(a.shape[:-2] + (-1,))[..., cells]
            arrays[f"s_{f.name}"] = a
        buf = io.BytesIO()
        np.savez(
            buf, items=self.items.astype(str), domains=self.domains.astype(str),
            psus=self.psus.astype(str), strata=self.strata.astype(str),
            stratum_n=self.stratum_n, n=np.array([self.n_responses]), cells=cells, **arrays,
        )  # fmt: skip
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IndexSums:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            d, p = z["domains"].reshape(-1, 2), z["psus"].reshape(-1, 2)
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("s_")}
            cells = z["cells"]
            for name in ("sw", "swy", "sws", "rows"):
                packed = arrays[name]
                dense = np.zeros(packed.shape[:-1] + (d.shape[0] * p.shape[0],))
                dense[..., cells] = packed
                arrays[name] = dense.reshape(packed.shape[:-1] + (d.shape[0], p.shape[0]))
            return cls(
                z["items"].reshape(-1, 2), d, p, PartialSums(**arrays), z["strata"],
                z["stratum_n"], int(z["n"][0]),
            )  # fmt: skip


def survey_items(criteria_sets: Iterable[CriteriaSet]) -> list[tuple[CriteriaSet, object]]:
    """(criteria set, survey sub-criterion) pairs: the items of the sums, in order."""
    return [(cs, s) for cs in criteria_sets for s in cs.subcriteria if s.source == "survey"]


def map_responses(inputs: IndexInputs, responses: Responses) -> IndexSums:
    """Sums of one chunk of responses (any subset of rows, with their final weights).

    Raises
    ------
    IndexInputError
        For a response about an unknown unit or group, an answer outside its item's scale,
        an item without a column, or a weight that is missing, zero or negative.
    """
    validate_responses(inputs, responses)
    bad = ~np.isfinite(responses.weight) | (responses.weight <= 0)
    if bad.any():
        raise IndexInputError(
            f"{int(bad.sum())} weight(s) are missing, zero or negative "
            f"(first at row {int(np.flatnonzero(bad)[0])})"
        )
    pairs = survey_items(inputs.criteria_sets)
    scores = _scores(pairs, inputs.item_scales, responses)
    domains, unit = _factorize_pairs(responses.unit, responses.group)
    psus, psu = _factorize_pairs(responses.stratum, responses.psu)
    layout = Layout(domains.shape[0], len(pairs), np.zeros(psus.shape[0], np.int64))
    sums = map_chunk(layout, Chunk(unit, psu, responses.weight.astype(float), scores))
    strata, stratum_n = np.unique(responses.stratum.astype(str), return_counts=True)
    items = np.array([(cs.code, s.code) for cs, s in pairs], dtype=str).reshape(-1, 2)
    return IndexSums(items, domains, psus, sums, strata, stratum_n.astype(float), responses.n)


def _scores(pairs, scales: Mapping[str, Scale], responses: Responses) -> np.ndarray:
    """Each respondent's score on each survey sub-criterion, shape (n, I); nan: none."""
    columns = {item: j for j, item in enumerate(responses.items)}
    out = np.empty((responses.n, len(pairs)))
    for k, (_, sub) in enumerate(pairs):
        try:
            idx = [columns[i] for i in sub.items]
        except KeyError as exc:
            raise IndexInputError(
                f"item {exc.args[0]} of {sub.code} has no responses column"
            ) from None
        fractions = item_fractions(responses.answers[:, idx], [scales[i] for i in sub.items])
        out[:, k] = respondent_scores(fractions)
    return out


def _factorize_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique (a, b) pairs, shape (k, 2), sorted, and each row's pair code."""
    joined = np.char.add(np.char.add(a.astype(str), _SEP), b.astype(str))
    labels, code = np.unique(joined, return_inverse=True)
    return _split(labels), code.reshape(-1).astype(np.int64)


def _split(joined: np.ndarray) -> np.ndarray:
    if joined.shape[0] == 0:
        return np.empty((0, 2), dtype=str)
    return np.array([s.split(_SEP, 1) for s in joined.tolist()], dtype=str)


def _union(labels: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sorted union of (k, 2) label arrays and, for each, the codes of its rows in it."""
    joined = [np.char.add(np.char.add(x[:, 0], _SEP), x[:, 1]) for x in labels]
    whole, inverse = np.unique(np.concatenate(joined), return_inverse=True)
    ends = np.cumsum([0] + [j.shape[0] for j in joined])
    return _split(whole), [inverse[a:b] for a, b in zip(ends[:-1], ends[1:], strict=True)]


def merge(parts: Iterable[IndexSums]) -> IndexSums:
    """Sums of disjoint chunks added on the codes of their union."""
    parts = list(parts)
    if not parts:
        raise IndexInputError("no partial sums to merge")
    items = parts[0].items
    if any(not np.array_equal(p.items, items) for p in parts):
        raise IndexInputError("the chunks were mapped with different sub-criteria")
    domains, d_to = _union([p.domains for p in parts])
    psus, p_to = _union([p.psus for p in parts])
    sums = merge_sums(
        relabel(p.sums, d, domains.shape[0], q, psus.shape[0])
        for p, d, q in zip(parts, d_to, p_to, strict=True)
    )
    strata, at = np.unique(np.concatenate([p.strata for p in parts]), return_inverse=True)
    stratum_n = np.bincount(
        at.reshape(-1), np.concatenate([p.stratum_n for p in parts]), strata.shape[0]
    )
    n = sum(p.n_responses for p in parts)
    return IndexSums(items, domains, psus, sums, strata, stratum_n, n)


@dataclass(frozen=True)
class SurveyEstimates:
    """The reduced survey part: every group mean ``m(u,s,g)`` with SE and PSU score totals.

    ``psu_stratum`` (P,) codes each PSU's stratum and ``psu_fraction`` (P,) its sampling
    fraction (None: with replacement); :meth:`variance` is R's ``svyrecvar`` on PSU totals.
    """

    means: DomainMeans
    items: Mapping[tuple[str, str], int]
    domains: Mapping[tuple[str, str], int]
    psu_stratum: np.ndarray
    psu_fraction: np.ndarray | None
    df: int
    n_responses: int

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    def variance(self, z_hi: np.ndarray) -> np.ndarray:
        """Variance of the estimate with PSU score totals ``z_hi`` (n_psu,) or (n_psu, k)."""
        return psu_variance_from_totals(z_hi, self.psu_stratum, self.psu_fraction)

    def group(self, set_code: str, sub: str, unit: str, group: str) -> GroupEstimate:
        """``m(u,s,g)``; ``n == 0`` (and no mean) where the group has no valid answer."""
        i, d = self.items.get((set_code, sub)), self.domains.get((unit, group))
        m = self.means
        if i is None or d is None or m.n[i, d] == 0:
            return GroupEstimate(n=0, mean=None, se=None, z_hi=np.zeros(self.n_psu))
        se = float(np.sqrt(m.var[i, d]))
        return GroupEstimate(int(m.n[i, d]), float(m.mean[i, d]), se, m.z[i, d])


def reduce_survey(sums: IndexSums) -> SurveyEstimates:
    """Group means of the merged sums (base design, weights as mapped)."""
    strata, psu_stratum = np.unique(sums.psus[:, 0], return_inverse=True)
    psu_stratum = psu_stratum.reshape(-1).astype(np.int64)
    layout = Layout(sums.domains.shape[0], sums.items.shape[0], psu_stratum)
    return SurveyEstimates(
        means=domain_means(layout, sums.sums),
        items={tuple(k): i for i, k in enumerate(sums.items.tolist())},
        domains={tuple(k): d for d, k in enumerate(sums.domains.tolist())},
        psu_stratum=psu_stratum,
        psu_fraction=None,
        df=int(psu_stratum.shape[0] - strata.shape[0]),
        n_responses=sums.n_responses,
    )


def survey_estimates(inputs: IndexInputs, responses: Responses) -> SurveyEstimates:
    """Map all ``responses`` in one chunk and reduce (``parindex index``, small rounds)."""
    validate_inputs(inputs)
    return reduce_survey(map_responses(inputs, responses))
