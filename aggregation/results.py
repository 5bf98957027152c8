"""What ``compute_index`` returns: the rows of FORMATS.md ``units[]``, ``subcriteria[]``."""

from __future__ import annotations

from dataclasses import dataclass

from aggregation.summary import KindSummary


@dataclass(frozen=True)
class GroupResult:
    """A respondent group's figure on a survey sub-criterion: n, mean score, SE.

    ``mean``/``se`` are ``None`` when the group has no valid answer (``n == 0``).
    """

    n: int
    mean: float | None
    se: float | None


@dataclass(frozen=True)
class SubCriterionResult:
    """Points of one unit on one sub-criterion.

    Survey rows have ``se``, ``ci_low``, ``ci_high`` and ``groups``; self rows have
    ``self_points`` and ``appraised_points`` (``None`` where missing) and no SE.
    """

    unit: str
    subcriterion: str
    source: str
    max_points: float
    points: float
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    groups: dict[str, GroupResult] | None = None
    flags: tuple[str, ...] = ()
    self_points: float | None = None
    appraised_points: float | None = None


@dataclass(frozen=True)
class UnitResult:
    """A unit's index, its uncertainty, rank and rank interval (FORMATS.md ``units[]``).

    ``areas`` maps area code → component index (%). ``previous_index``/``change`` are
    ``None`` without a previous index.
    """

    unit: str
    kind: str
    self_points: float
    survey_points: float
    survey_se: float
    bonus: float
    penalty: float
    max_points: float
    index: float
    index_se: float
    index_ci_low: float
    index_ci_high: float
    rank: int
    rank_low: int
    rank_high: int
    previous_index: float | None
    change: float | None
    areas: dict[str, float]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class IndexResult:
    """The whole computation; ``df`` and ``t`` are those of the whole survey design.

    ``t`` is ``None`` (and every CI collapses to the estimate) only when there are no
    survey sub-criteria, hence no sampling error. ``fpc``: the frame's populations entered
    as finite population corrections (element sampling within strata).
    """

    df: int
    t: float | None
    seed: int
    draws: int
    units: tuple[UnitResult, ...]
    subcriteria: tuple[SubCriterionResult, ...]
    summary: tuple[KindSummary, ...]
    n_responses: int = 0
    fpc: bool = False
