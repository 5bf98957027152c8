"""The index's survey part reduced: group means with SEs, and the variance of any
combination of them (docs/ESTIMATORS.md (e), (h)), from the merged :mod:`aggregation.sums`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from aggregation.design import psu_variance_from_totals
from aggregation.element import block_gram, element_variance, stratum_fraction
from aggregation.inputs import IndexInputError, IndexInputs, Responses
from aggregation.points import GroupEstimate
from aggregation.reduce import DomainMeans, domain_means
from aggregation.stages import second_stage_variance
from aggregation.sufficient import Layout
from aggregation.sums import IndexSums, map_responses
from aggregation.validate import validate_inputs


@dataclass(frozen=True)
class _Element:
    """Element sampling with fpc: the block Gram matrices and every stratum's fraction."""

    gram: np.ndarray  # (M, I, I)
    block_stratum: np.ndarray  # (M,)
    block_domain: np.ndarray  # (M,)
    sampled: np.ndarray  # (H,) respondents n_h
    fraction: np.ndarray  # (H,) g_h = n_h / N_h


@dataclass(frozen=True)
class SurveyEstimates:
    """The reduced survey part: every group mean ``m(u,s,g)`` with its SE.

    Estimates built from the group means are linear combinations ``Σ_t c_t m_t`` over the
    ``n_terms`` = items × domains means (item-major); :meth:`variance` gives the design
    variance of any such ``coef`` (docs/ESTIMATORS.md (e)): R's ``svyrecvar`` on the PSU
    totals ``Σ_t c_t z_t`` (``psu_stratum`` codes each PSU's stratum), or with a frame,
    element sampling with fpc (:mod:`aggregation.element`).
    """

    means: DomainMeans
    items: Mapping[tuple[str, str], int]
    domains: Mapping[tuple[str, str], int]
    psu_stratum: np.ndarray
    df: int
    n_responses: int
    element: _Element | None = None

    @property
    def n_terms(self) -> int:
        return int(self.means.n.size)

    @property
    def has_fpc(self) -> bool:
        """The frame's populations enter as finite population corrections."""
        return self.element is not None

    def variance(self, coef: np.ndarray) -> np.ndarray:
        """Variance of ``Σ_t coef_t m_t``; ``coef`` of shape (n_terms,) or (n_terms, k)."""
        z = self.means.z
        if self.element is not None:
            e = self.element
            return element_variance(coef, z, e.gram, e.block_stratum, e.block_domain,
                                    e.sampled, e.fraction)  # fmt: skip
        c = np.asarray(coef, dtype=float)
        k = int(np.prod(c.shape[1:]))  # -1 is ambiguous when there are no terms
        totals = z.reshape(self.n_terms, z.shape[-1]).T @ c.reshape(self.n_terms, k)
        var = psu_variance_from_totals(totals, self.psu_stratum)
        return var.reshape(c.shape[1:])

    def group(self, set_code: str, sub: str, unit: str, group: str) -> GroupEstimate:
        """``m(u,s,g)``; ``n == 0`` (and no mean) where the group has no valid answer."""
        i, d = self.items.get((set_code, sub)), self.domains.get((unit, group))
        m = self.means
        coef = np.zeros(self.n_terms)
        if i is None or d is None or m.n[i, d] == 0:
            return GroupEstimate(n=0, mean=None, se=None, coef=coef)
        coef[i * m.n.shape[1] + d] = 1.0
        se = float(np.sqrt(m.var[i, d]))
        return GroupEstimate(int(m.n[i, d]), float(m.mean[i, d]), se, coef)


def reduce_survey(sums: IndexSums, population: Mapping[str, float] | None = None):
    """Group means of the merged sums (weights as mapped) → :class:`SurveyEstimates`.

    ``population`` (the frame: people per stratum) makes the design element sampling
    within strata with R's fpc (:mod:`aggregation.element`); the sums must have been
    mapped with ``element=True``. Without it the design is the responses' PSUs, with
    replacement.

    Raises
    ------
    IndexInputError
        A stratum with responses has no population, or fewer people than responses.
    """
    strata, psu_stratum = np.unique(sums.psus[:, 0], return_inverse=True)
    psu_stratum = psu_stratum.reshape(-1).astype(np.int64)
    layout = Layout(sums.domains.shape[0], sums.items.shape[0], psu_stratum)
    means = domain_means(layout, sums.sums)
    out = SurveyEstimates(
        means=means,
        items={tuple(k): i for i, k in enumerate(sums.items.tolist())},
        domains={tuple(k): d for d, k in enumerate(sums.domains.tolist())},
        psu_stratum=psu_stratum,
        df=int(psu_stratum.shape[0] - strata.shape[0]),
        n_responses=sums.n_responses,
    )
    if population is None:
        if sums.element:
            raise IndexInputError("sums mapped for element sampling need the frame")
        return out
    if not sums.element:
        raise IndexInputError("with a frame, the responses must be mapped with element=True")
    return _with_fpc(out, sums, population)


def _with_fpc(out: SurveyEstimates, sums: IndexSums, population: Mapping[str, float]):
    """Element sampling within strata, fpc from the frame (R: ids = ~1, fpc = ~population)."""
    strata = sums.psus[:, 0].tolist()  # one PSU per stratum
    missing = sorted(set(strata) - set(population))
    if missing:
        raise IndexInputError(f"stratum '{missing[0]}' has responses but is not in the frame")
    counts = dict(zip(sums.strata.tolist(), sums.stratum_n.tolist(), strict=True))
    sampled = np.array([counts[h] for h in strata], dtype=float)
    fraction = stratum_fraction(np.array([population[h] for h in strata], float), sampled)
    if (fraction > 1 + 1e-12).any():
        h = strata[int(np.flatnonzero(fraction > 1 + 1e-12)[0])]
        raise IndexInputError(f"stratum '{h}' has more responses than people in the frame")
    m = out.means
    h_of = {h: k for k, h in enumerate(strata)}
    block_stratum = np.array([h_of[h] for h in sums.blocks[:, 0].tolist()], dtype=np.int64)
    block_domain = np.array([out.domains[(u, g)] for u, g in sums.blocks[:, 1:].tolist()],
                            dtype=np.int64)  # fmt: skip
    sw = sums.sums.sw.sum(axis=-1)  # (I, D): N of every mean
    fixed = sums.sums.y_min == sums.sums.y_max
    gram = block_gram(sums.moments, m.mean[:, block_domain].T, sw[:, block_domain].T,
                      fixed[:, block_domain].T)  # fmt: skip
    element = _Element(gram, block_stratum, block_domain, sampled, fraction)
    # every group's own variance: the diagonal of its blocks, one stage-2 formula
    q = np.zeros(m.z.shape)
    diag = np.einsum("mii->mi", gram)
    np.add.at(q, (slice(None), block_domain, block_stratum), diag.T)
    n_terms, n_strata = out.n_terms, len(strata)
    var = second_stage_variance(m.z.reshape(n_terms, n_strata).T, q.reshape(n_terms, n_strata).T,
                                sampled, np.ones(n_strata), fraction)  # fmt: skip
    means = DomainMeans(m.n, m.mean, m.z, var.reshape(m.n.shape))
    df = int(sums.n_responses - n_strata)
    return replace(out, means=means, df=df, element=element)


def survey_estimates(
    inputs: IndexInputs, responses: Responses, population: Mapping[str, float] | None = None
) -> SurveyEstimates:
    """Map all ``responses`` in one chunk and reduce (``parindex index``, small rounds)."""
    validate_inputs(inputs)
    sums = map_responses(inputs, responses, element=population is not None)
    return reduce_survey(sums, population)
