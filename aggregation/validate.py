"""Checks on the index inputs: every code known, every value usable, before any arithmetic."""

from __future__ import annotations

import math
import numbers
from collections import Counter

import numpy as np

from aggregation.inputs import SOURCES, CriteriaSet, IndexInputError, IndexInputs, Responses

#: Tolerance for "the α_g sum to 1" (weights are typed as decimals in YAML).
WEIGHT_SUM_TOL = 1e-9


def validate_inputs(inputs: IndexInputs) -> None:
    """Raise :class:`IndexInputError` naming the first problem found in ``inputs``."""
    for cs in inputs.criteria_sets:
        _check_criteria_set(cs, inputs)
    _check_units(inputs)
    _check_self_scores(inputs)
    _check_bonus_penalty(inputs)
    for unit, value in inputs.previous.items():
        _known_unit(inputs, unit, "previous index")
        _finite(value, f"previous index of unit {unit}")
    if inputs.ministry_index is not None:
        _finite(inputs.ministry_index, "ministry index")


def _check_criteria_set(cs: CriteriaSet, inputs: IndexInputs) -> None:
    where = f"criteria set {cs.code}"
    codes = [s.code for s in cs.subcriteria]
    dup = [c for c, k in Counter(codes).items() if k > 1]
    if dup:
        raise IndexInputError(f"{where}: duplicate sub-criterion code {dup[0]}")
    if not cs.group_weights or any(w < 0 for w in cs.group_weights.values()):
        raise IndexInputError(f"{where}: group weights must be given and non-negative")
    total = sum(cs.group_weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOL:
        raise IndexInputError(f"{where}: group weights sum to {total}, not 1")
    if cs.min_group_respondents < 0:
        raise IndexInputError(f"{where}: min_group_respondents is negative")
    for s in cs.subcriteria:
        _check_subcriterion(where, s, inputs)
    for area in cs.areas:
        if sum(s.max_points for s in area.subcriteria) <= 0:
            raise IndexInputError(f"{where}: area {area.code} has no points to score")


def _check_subcriterion(where, s, inputs: IndexInputs) -> None:
    if s.source not in SOURCES:
        raise IndexInputError(f"{where}: sub-criterion {s.code} has unknown source {s.source!r}")
    _finite(s.max_points, f"{where}: max_points of {s.code}")
    if s.max_points < 0:
        raise IndexInputError(f"{where}: sub-criterion {s.code} has negative max_points")
    if s.source == "survey" and not s.items:
        raise IndexInputError(f"{where}: survey sub-criterion {s.code} names no items")
    for item in s.items:
        if item not in inputs.item_scales:
            raise IndexInputError(f"{where}: sub-criterion {s.code} names unknown item {item}")


def _check_units(inputs: IndexInputs) -> None:
    kinds = Counter(cs.unit_kind for cs in inputs.criteria_sets)
    dup = [k for k, n in kinds.items() if n > 1]
    if dup:
        raise IndexInputError(f"two criteria sets score unit kind {dup[0]}")
    for unit, kind in inputs.units.items():
        if kind not in kinds:
            raise IndexInputError(f"unit {unit} is of kind {kind}, which no criteria set scores")


def validate_responses(inputs: IndexInputs, r: Responses) -> None:
    """Raise :class:`IndexInputError` naming the first problem of responses to ``inputs``."""
    _check_units(inputs)  # the unit kinds below must have their criteria set
    n = r.n
    for name in ("unit", "group", "stratum", "psu"):
        if getattr(r, name).shape != (n,):
            raise IndexInputError(f"responses: column {name} does not have {n} values")
    if r.answers.shape != (n, len(r.items)):
        raise IndexInputError(f"responses: answers are not a {n} × {len(r.items)} matrix")
    sets = inputs.criteria_set_of_kind()
    for unit, group in _pairs(r):
        kind = _known_unit(inputs, unit, "responses")
        if group not in sets[kind].group_weights:
            raise IndexInputError(f"responses: unknown group {group} for unit {unit}")
    for j, item in enumerate(r.items):
        if item in inputs.item_scales:
            _check_answer_values(item, r.answers[:, j], inputs)
    for cs in inputs.criteria_sets:
        for s in cs.subcriteria:
            missing = [i for i in s.items if i not in r.items]
            if missing:
                raise IndexInputError(
                    f"criteria set {cs.code}: item {missing[0]} of {s.code} has no responses column"
                )


def _pairs(r: Responses) -> list[tuple[str, str]]:
    """The distinct (unit, group) pairs of the responses, sorted: through the columns'
    codes, so that only the few distinct pairs become Python strings."""
    (units, unit), (groups, group) = r.factor("unit"), r.factor("group")
    keys = np.flatnonzero(np.bincount(unit * len(groups) + group)) if r.n else []
    return [(str(units[k // len(groups)]), str(groups[k % len(groups)])) for k in keys]


def _check_answer_values(item: str, values: np.ndarray, inputs: IndexInputs) -> None:
    allowed = np.array(sorted(inputs.item_scales[item].scores), dtype=float)
    # A comparison per scale level (a handful) instead of sorting the column.
    outside = ~np.isin(values, allowed) & ~np.isnan(values)
    if outside.any():
        bad = np.min(values[outside])
        raise IndexInputError(f"responses: item {item} has value {bad:g}, not in its scale")


def _check_self_scores(inputs: IndexInputs) -> None:
    sets = inputs.criteria_set_of_kind()
    seen: set[tuple[str, str]] = set()
    for row in inputs.self_scores:
        kind = _known_unit(inputs, row.unit, "self-assessment")
        where = f"self-assessment of unit {row.unit}, sub-criterion {row.subcriterion}"
        sub = {s.code: s for s in sets[kind].subcriteria}.get(row.subcriterion)
        if sub is None or sub.source != "self":
            raise IndexInputError(f"{where}: not a self-assessed sub-criterion of its set")
        if (row.unit, row.subcriterion) in seen:
            raise IndexInputError(f"{where}: given twice")
        seen.add((row.unit, row.subcriterion))
        for label, value in (("self", row.self_points), ("appraised", row.appraised_points)):
            if value is not None:
                _points_in_range(value, sub.max_points, f"{where}: {label} points")


def _check_bonus_penalty(inputs: IndexInputs) -> None:
    seen: set[str] = set()
    for row in inputs.bonus_penalty:
        _known_unit(inputs, row.unit, "bonus/penalty")
        if row.unit in seen:
            raise IndexInputError(f"bonus/penalty: unit {row.unit} given twice")
        seen.add(row.unit)
        for label, value in (("bonus", row.bonus), ("penalty", row.penalty)):
            _finite(value, f"{label} of unit {row.unit}")
            if value < 0:
                raise IndexInputError(f"{label} of unit {row.unit} is negative")


def _known_unit(inputs: IndexInputs, unit: str, where: str) -> str:
    if unit not in inputs.units:
        raise IndexInputError(f"{where}: unknown unit {unit}")
    return inputs.units[unit]


def _finite(value: float, what: str) -> None:
    if not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise IndexInputError(f"{what} is not a finite number: {value!r}")


def _points_in_range(value: float, max_points: float, what: str) -> None:
    _finite(value, what)
    if value < 0 or value > max_points:
        raise IndexInputError(f"{what} {value:g} outside 0..{max_points:g}")
