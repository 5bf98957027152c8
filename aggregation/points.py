"""Survey points per unit × sub-criterion, with SEs carried as per-PSU linearised totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from aggregation import flags
from aggregation.design import Design, linearised_mean, make_design, psu_variance
from aggregation.inputs import IndexInputError, Scale, Subcriterion


@dataclass(frozen=True)
class PsuFrame:
    """A design and its reduction to PSUs.

    Every variance of the index goes through the PSU formula of docs/ESTIMATORS.md (a),
    which only needs the per-PSU totals ``z_hi`` of the linearised scores. Carrying those
    totals (shape (n_psu,)) instead of respondent scores keeps memory small and lets
    totals computed elsewhere (e.g. per chunk of responses) be added and used as they are.
    ``psu_design`` has one row per PSU, each its own PSU, in its stratum, so
    ``psu_variance(psu_design, z_hi)`` is exactly that formula.
    """

    design: Design
    psu_design: Design

    @classmethod
    def of(cls, design: Design) -> PsuFrame:
        psu_design = make_design(design.n_psu, strata=design.psu_stratum)
        return cls(design=design, psu_design=psu_design)

    def totals(self, z: np.ndarray) -> np.ndarray:
        """``z_hi = Σ_{k in PSU hi} z_k``; shape (n,) → (n_psu,)."""
        return np.bincount(self.design.psu, weights=z, minlength=self.design.n_psu)

    def variance(self, z_hi: np.ndarray) -> np.ndarray:
        """PSU formula of docs/ESTIMATORS.md (a) on totals, shape (n_psu,) or (n_psu, k)."""
        return psu_variance(self.psu_design, z_hi)


def item_fractions(answers: np.ndarray, scales: list[Scale]) -> np.ndarray:
    """Answer values → score fractions of the scale; nan where not answered or "missing".

    Parameters
    ----------
    answers : ndarray, shape (n, m); answer values, nan = not answered.
    scales : list of Scale, length m; the scale of every column.

    Returns
    -------
    ndarray, shape (n, m)
    """
    out = np.full(answers.shape, np.nan)
    for j, scale in enumerate(scales):
        for value, score in scale.scores.items():
            if score is not None:  # a "don't know" level stays nan: missing, never zero
                out[answers[:, j] == value, j] = score
    return out


def respondent_scores(fractions: np.ndarray) -> np.ndarray:
    """Score of each respondent on a sub-criterion: mean fraction of the items answered.

    DOMAIN.md "Survey answers → points". ``fractions`` has shape (n, m) for the m items
    of the sub-criterion; a respondent with no valid item gets nan (out of the domain).
    """
    answered = ~np.isnan(fractions)
    count = answered.sum(axis=1)
    total = np.where(answered, fractions, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass(frozen=True)
class GroupEstimate:
    """``m(u,s,g)``: a group's design-weighted mean score, with SE and PSU totals of z.

    ``mean``/``se`` are ``None`` and ``z_hi`` is zero where the group has no valid answer.
    """

    n: int
    mean: float | None
    se: float | None
    z_hi: np.ndarray


def group_estimate(frame: PsuFrame, score: np.ndarray, in_domain: np.ndarray) -> GroupEstimate:
    """Weighted domain mean of ``score`` (docs/ESTIMATORS.md (a)) over ``in_domain`` & answered."""
    d = in_domain & ~np.isnan(score)
    if not d.any():
        return GroupEstimate(n=0, mean=None, se=None, z_hi=np.zeros(frame.design.n_psu))
    lm = linearised_mean(frame.design, score, d)
    z_hi = frame.totals(lm.z)
    se = float(np.sqrt(frame.variance(z_hi)))
    return GroupEstimate(n=lm.n, mean=lm.mean, se=se, z_hi=z_hi)


@dataclass(frozen=True)
class SurveyPoints:
    """``points(u,s)`` with its SE and the PSU totals ``z_hi`` of its linearised scores."""

    points: float
    se: float
    groups: dict[str, GroupEstimate]
    flags: tuple[str, ...]
    z_hi: np.ndarray


def combine_groups(
    groups: Mapping[str, GroupEstimate],
    alpha: Mapping[str, float],
    max_points: float,
    min_respondents: int,
    frame: PsuFrame,
) -> SurveyPoints:
    """``points(u,s) = max_points(s) × Σ_g α_g m(u,s,g)`` (DOMAIN.md), with its SE.

    Groups without a valid answer drop out and the remaining α_g are re-normalised
    (flag ``group_missing``); a group with fewer valid respondents than
    ``min_respondents`` is flagged ``few_respondents``. The variance is that of the
    linear combination: the same weights applied to the groups' z totals, through the
    PSU formula (docs/ESTIMATORS.md (e)), which keeps any covariance between groups.

    Raises
    ------
    IndexInputError
        If no group with a positive α_g has a valid answer.
    """
    present = {g: est for g, est in groups.items() if est.n > 0}
    alpha_sum = sum(alpha[g] for g in present)
    if alpha_sum <= 0:
        raise IndexInputError("no respondent group with a positive weight has a valid answer")
    coef = {g: max_points * alpha[g] / alpha_sum for g in present}
    points = sum(coef[g] * est.mean for g, est in present.items())
    z_hi = sum(coef[g] * est.z_hi for g, est in present.items())
    se = float(np.sqrt(frame.variance(z_hi)))
    return SurveyPoints(
        points=float(points),
        se=se,
        groups=dict(groups),
        flags=_group_flags(groups, min_respondents),
        z_hi=z_hi,
    )


def _group_flags(groups: Mapping[str, GroupEstimate], min_respondents: int) -> tuple[str, ...]:
    out = []
    if any(est.n == 0 for est in groups.values()):
        out.append(flags.GROUP_MISSING)
    if any(0 < est.n < min_respondents for est in groups.values()):
        out.append(flags.FEW_RESPONDENTS)
    return tuple(out)


def survey_points(
    frame: PsuFrame,
    score: np.ndarray,
    group_masks: Mapping[str, np.ndarray],
    sub: Subcriterion,
    alpha: Mapping[str, float],
    min_respondents: int,
) -> SurveyPoints:
    """Survey points of one unit on one survey sub-criterion, from respondent arrays.

    Parameters
    ----------
    frame : PsuFrame of the whole design (its df is the one used for CIs).
    score : ndarray, shape (n,); :func:`respondent_scores` of the sub-criterion.
    group_masks : group → ndarray of bool, shape (n,); the group's respondents about
        the unit.
    """
    groups = {g: group_estimate(frame, score, group_masks[g]) for g in alpha}
    return combine_groups(groups, alpha, sub.max_points, min_respondents, frame)
