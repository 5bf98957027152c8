"""Inputs of the PAR index: criteria sets, scales, responses and appraised scores (DOMAIN.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

SOURCES = ("self", "survey")


class IndexInputError(ValueError):
    """Raised for inputs the index cannot be computed from (unknown codes, bad values)."""


@dataclass(frozen=True)
class Subcriterion:
    """A sub-criterion (tiêu chí thành phần): ``source`` is ``self`` or ``survey``.

    A survey sub-criterion names its questionnaire ``items``; a self one has none.
    """

    code: str
    source: str
    max_points: float
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    """A criterion (tiêu chí) and its sub-criteria."""

    code: str
    subcriteria: tuple[Subcriterion, ...]


@dataclass(frozen=True)
class Area:
    """An area (lĩnh vực); it gets a component index of its own."""

    code: str
    criteria: tuple[Criterion, ...]

    @property
    def subcriteria(self) -> tuple[Subcriterion, ...]:
        return tuple(s for c in self.criteria for s in c.subcriteria)


@dataclass(frozen=True)
class CriteriaSet:
    """A criteria set (bộ chỉ số) for one unit kind, as in FORMATS.md.

    ``group_weights`` are the α_g of DOMAIN.md (they sum to 1); ``bonus_cap`` and
    ``penalty_cap`` are in points, ``None`` where the rule set has no cap.
    """

    code: str
    unit_kind: str
    min_group_respondents: int
    group_weights: Mapping[str, float]
    areas: tuple[Area, ...]
    bonus_cap: float | None = None
    penalty_cap: float | None = None

    @property
    def subcriteria(self) -> tuple[Subcriterion, ...]:
        return tuple(s for a in self.areas for s in a.subcriteria)

    @property
    def max_points(self) -> float:
        """Σ max points of the set: the denominator of the index."""
        return float(sum(s.max_points for s in self.subcriteria))


@dataclass(frozen=True)
class Scale:
    """Answer value → score fraction; ``None`` marks a "don't know" level (missing)."""

    scores: Mapping[float, float | None]


@dataclass(frozen=True)
class Responses:
    """Survey responses as arrays over ``n`` respondents.

    Attributes
    ----------
    unit, group, stratum, psu : ndarray of str, shape (n,)
    weight : ndarray of float, shape (n,)
    items : tuple of str, length m — the column codes of ``answers``
    answers : ndarray of float, shape (n, m) — answer values, nan = not answered
    factors : mapping of str to (ndarray of str, ndarray of int), optional
        Some of ``unit``, ``group``, ``stratum``, ``psu`` also given as their distinct
        values (any order) and each row's code into them, ``labels[codes]`` being the
        column: the map then codes the rows without sorting n strings (a reader that
        dictionary-encodes its columns has them for free).
    """

    unit: np.ndarray
    group: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    weight: np.ndarray
    items: tuple[str, ...]
    answers: np.ndarray
    factors: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def factor(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Column ``name`` as its sorted distinct values and each row's code into them
        (``np.unique(column, return_inverse=True)``), from :attr:`factors` when given."""
        given = self.factors.get(name)
        if given is None:
            labels, codes = np.unique(getattr(self, name).astype(str), return_inverse=True)
            return labels, codes.reshape(-1).astype(np.int64)
        labels, codes = given
        labels = np.asarray(labels).astype(str)
        order = np.argsort(labels, kind="stable")
        rank = np.empty(order.shape[0], np.int64)
        rank[order] = np.arange(order.shape[0])
        codes = rank[np.asarray(codes, dtype=np.int64)]  # codes into the sorted labels
        used = np.zeros(order.shape[0], bool)
        used[codes] = True
        if used.all():
            return labels[order], codes
        # labels no row has: drop them, as np.unique would not list them
        return labels[order][used], (np.cumsum(used) - 1)[codes]

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class SelfScore:
    """One self-assessment row; ``appraised_points`` is ``None`` until appraised."""

    unit: str
    subcriterion: str
    self_points: float
    appraised_points: float | None


@dataclass(frozen=True)
class BonusPenalty:
    """Bonus and penalty points of a unit (before the set's caps)."""

    unit: str
    bonus: float = 0.0
    penalty: float = 0.0


@dataclass(frozen=True)
class IndexInputs:
    """Everything ``compute_index`` needs.

    ``units`` maps unit code → unit kind; ``item_scales`` maps item code → its scale;
    ``previous`` maps unit code → last year's index (%). The responses are not here:
    they reach ``compute_index`` reduced (:mod:`aggregation.sums`), mapped in chunks.
    """

    criteria_sets: tuple[CriteriaSet, ...]
    units: Mapping[str, str]
    item_scales: Mapping[str, Scale]
    self_scores: tuple[SelfScore, ...]
    bonus_penalty: tuple[BonusPenalty, ...] = ()
    previous: Mapping[str, float] = field(default_factory=dict)
    ministry_index: float | None = None

    def criteria_set_of_kind(self) -> dict[str, CriteriaSet]:
        """Unit kind → its criteria set."""
        return {cs.unit_kind: cs for cs in self.criteria_sets}
