"""The index's survey part on the engine of ``parindex estimate``: map → merge → reduce.

Every survey figure of the index is a design-weighted domain mean of respondent scores
(DOMAIN.md). In the terms of :mod:`aggregation.sufficient` the *items* are the survey
sub-criteria (a respondent's value is the mean score fraction of the sub-criterion's
items answered), the *units* are the (unit, respondent group) domains and the PSUs the
(stratum, PSU) pairs of the responses. A chunk of responses maps to :class:`IndexSums`
on codes of its own, labelled; :func:`merge` puts chunks on the codes of their union
(:func:`aggregation.sufficient.relabel`) and adds them; :func:`aggregation.survey.reduce_survey`
gives every group mean, its SE and the PSU totals of its scores through
:func:`aggregation.reduce.domain_means`, the code the R references of ``parindex
estimate`` check (docs/ESTIMATORS.md (a), (e)).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

import numpy as np

from aggregation.design import unique_codes
from aggregation.element import map_moments
from aggregation.inputs import CriteriaSet, IndexInputError, IndexInputs, Responses, Scale
from aggregation.points import item_fractions, respondent_scores
from aggregation.sufficient import Chunk, Layout, PartialSums, map_chunk, merge_sums, relabel
from aggregation.validate import validate_responses

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
    blocks : ndarray of str, shape (M, 3)
        Element sampling only (``psus`` are then the strata, PSU label ""): the
        (stratum, unit, group) blocks with respondents, and ``moments`` (M, 3, I, I)
        their :func:`aggregation.element.map_moments`.
    """

    items: np.ndarray
    domains: np.ndarray
    psus: np.ndarray
    sums: PartialSums
    strata: np.ndarray
    stratum_n: np.ndarray
    n_responses: int
    blocks: np.ndarray | None = None
    moments: np.ndarray | None = None

    @property
    def element(self) -> bool:
        """Mapped for element sampling within strata (each response its own PSU)."""
        return self.blocks is not None

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
        if self.element:
            arrays.update(blocks=self.blocks.astype(str), moments=self.moments)
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
            element = "blocks" in z.files
            return cls(
                z["items"].reshape(-1, 2), d, p, PartialSums(**arrays), z["strata"],
                z["stratum_n"], int(z["n"][0]),
                z["blocks"].reshape(-1, 3) if element else None,
                z["moments"] if element else None,
            )  # fmt: skip


def survey_items(criteria_sets: Iterable[CriteriaSet]) -> list[tuple[CriteriaSet, object]]:
    """(criteria set, survey sub-criterion) pairs: the items of the sums, in order."""
    return [(cs, s) for cs in criteria_sets for s in cs.subcriteria if s.source == "survey"]


def map_responses(inputs: IndexInputs, responses: Responses, *, element: bool = False) -> IndexSums:
    """Sums of one chunk of responses (any subset of rows, with their final weights).

    ``element``: for element sampling within strata (a round with a frame): each stratum
    is mapped as one PSU and the block moments of :mod:`aggregation.element` are added.

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
    domains, unit = _factorize_pairs(responses.factor("unit"), responses.factor("group"))
    if element:  # every stratum one PSU, labelled ""
        psu_label = (np.array([""]), np.zeros(responses.n, np.int64))
    else:
        psu_label = responses.factor("psu")
    psus, psu = _factorize_pairs(responses.factor("stratum"), psu_label)
    layout = Layout(domains.shape[0], len(pairs), np.zeros(psus.shape[0], np.int64))
    weight = responses.weight.astype(float)
    sums = map_chunk(layout, Chunk(unit, psu, weight, scores))
    # responses per stratum through the PSUs' labels: a sort of P labels, not of n rows
    strata, at = np.unique(psus[:, 0], return_inverse=True)
    stratum_n = np.bincount(at.reshape(-1)[psu], minlength=strata.shape[0])
    items = np.array([(cs.code, s.code) for cs, s in pairs], dtype=str).reshape(-1, 2)
    blocks = moments = None
    if element:
        n_d = domains.shape[0]
        keys, block = np.unique(psu * n_d + unit, return_inverse=True)
        blocks = np.column_stack([psus[keys // n_d, 0], domains[keys % n_d]]).reshape(-1, 3)
        moments = map_moments(block.reshape(-1), keys.shape[0], weight, scores)
    n = responses.n
    return IndexSums(
        items, domains, psus, sums, strata, stratum_n.astype(float), n, blocks, moments
    )


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


def _factorize_pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Unique (a, b) pairs, shape (k, 2), sorted, and each row's pair code; ``a`` and ``b``
    are columns as (sorted distinct values, each row's code): :meth:`Responses.factor`."""
    (ua, ia), (ub, ib) = a, b
    keys, code = unique_codes(ia * len(ub) + ib)
    if keys.shape[0] == 0:
        return np.empty((0, 2), dtype=str), code.astype(np.int64)
    labels = np.column_stack([ua[keys // len(ub)], ub[keys % len(ub)]])
    return labels, code.astype(np.int64)


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
        p.sums
        if _identity(d, domains.shape[0]) and _identity(q, psus.shape[0])
        else relabel(p.sums, d, domains.shape[0], q, psus.shape[0])
        for p, d, q in zip(parts, d_to, p_to, strict=True)
    )
    strata, at = np.unique(np.concatenate([p.strata for p in parts]), return_inverse=True)
    stratum_n = np.bincount(
        at.reshape(-1), np.concatenate([p.stratum_n for p in parts]), strata.shape[0]
    )
    n = sum(p.n_responses for p in parts)
    if len({p.element for p in parts}) > 1:
        raise IndexInputError("the chunks were mapped for different designs")
    blocks = moments = None
    if parts[0].element:
        blocks, b_to = _union3([p.blocks for p in parts])
        moments = np.zeros((blocks.shape[0],) + parts[0].moments.shape[1:])
        for p, b in zip(parts, b_to, strict=True):
            moments[b] += p.moments  # codes are distinct within a part
    return IndexSums(items, domains, psus, sums, strata, stratum_n, n, blocks, moments)


def _identity(codes: np.ndarray, size: int) -> bool:
    """The part already has the union's codes (it saw every label)."""
    return codes.shape[0] == size and bool((codes == np.arange(size)).all())


def _union3(labels: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`_union` of (k, 3) labels."""
    joined = [np.column_stack([x[:, 0], np.char.add(np.char.add(x[:, 1], _SEP), x[:, 2])])
              for x in labels]  # fmt: skip
    two, codes = _union(joined)
    if two.shape[0] == 0:
        return np.empty((0, 3), dtype=str), codes
    return np.column_stack([two[:, 0], _split(two[:, 1])]), codes
