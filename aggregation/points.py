"""Survey points per unit × sub-criterion: item fractions, respondent scores, groups combined."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from aggregation import flags
from aggregation.inputs import IndexInputError, Scale


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
    """``m(u,s,g)``: a group's design-weighted mean score, with SE.

    ``coef`` writes the estimate as a linear combination of all group means of the
    survey (here: 1 at its own place); combinations add their ``coef`` and take their
    variance from the survey's ``variance(coef)`` (docs/ESTIMATORS.md (e)).
    ``mean``/``se`` are ``None`` and ``coef`` is zero where the group has no valid answer.
    """

    n: int
    mean: float | None
    se: float | None
    coef: np.ndarray


@dataclass(frozen=True)
class SurveyPoints:
    """``points(u,s)`` with its SE and its ``coef`` over the group means."""

    points: float
    se: float
    groups: dict[str, GroupEstimate]
    flags: tuple[str, ...]
    coef: np.ndarray


def combine_groups(
    groups: Mapping[str, GroupEstimate],
    alpha: Mapping[str, float],
    max_points: float,
    min_respondents: int,
    variance: Callable[[np.ndarray], np.ndarray],
) -> SurveyPoints:
    """``points(u,s) = max_points(s) × Σ_g α_g m(u,s,g)`` (DOMAIN.md), with its SE.

    Groups without a valid answer drop out and the remaining α_g are re-normalised
    (flag ``group_missing``); a group with fewer valid respondents than
    ``min_respondents`` is flagged ``few_respondents``. The variance is that of the
    linear combination, ``variance`` of the summed ``coef`` (docs/ESTIMATORS.md (e)),
    which keeps any covariance between groups.

    Raises
    ------
    IndexInputError
        If no group with a positive α_g has a valid answer.
    """
    present = {g: est for g, est in groups.items() if est.n > 0}
    alpha_sum = sum(alpha[g] for g in present)
    if alpha_sum <= 0:
        raise IndexInputError("no respondent group with a positive weight has a valid answer")
    c = {g: max_points * alpha[g] / alpha_sum for g in present}
    points = sum(c[g] * est.mean for g, est in present.items())
    coef = sum(c[g] * est.coef for g, est in present.items())
    se = float(np.sqrt(variance(coef)))
    return SurveyPoints(
        points=float(points),
        se=se,
        groups=dict(groups),
        flags=_group_flags(groups, min_respondents),
        coef=coef,
    )


def _group_flags(groups: Mapping[str, GroupEstimate], min_respondents: int) -> tuple[str, ...]:
    out = []
    if any(est.n == 0 for est in groups.values()):
        out.append(flags.GROUP_MISSING)
    if any(0 < est.n < min_respondents for est in groups.values()):
        out.append(flags.FEW_RESPONDENTS)
    return tuple(out)
