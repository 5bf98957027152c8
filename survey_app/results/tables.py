"""Stored rows of a run shaped for pages, exports and the API; nothing is recomputed here.

The only rule applied is publication's, for pages, exports and the API alike: a small
respondent group's figures are withheld from the public, with every figure they could be
recomputed from (:mod:`survey_app.results.suppression`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from survey_app.core import numbers
from survey_app.criteria.models import CriteriaSet
from survey_app.results.models import AggregationRun
from survey_app.results.queries import (
    criteria_sets_by_kind,
    list_subcriterion_results,
    list_unit_kinds,
    list_unit_results,
)
from survey_app.results.suppression import public_rows, threshold
from survey_app.rounds.models import Round
from survey_app.units.models import Unit, UnitKind


@dataclass(frozen=True)
class UnitLine:
    """A unit and its stored ``units[]`` row of ``parindex index``."""

    unit: Unit
    data: dict[str, Any]


@dataclass(frozen=True)
class KindBlock:
    """The units of one kind in rank order, and the kind's stored summary."""

    kind: UnitKind
    lines: list[UnitLine]
    summary: dict[str, Any] | None

    @property
    def flags(self) -> set[str]:
        return {f for line in self.lines for f in line.data["flags"]}


@dataclass(frozen=True)
class SubLine:
    """A sub-criterion's names and its stored ``subcriteria[]`` row (maybe suppressed)."""

    code: str
    name_vi: str
    name_en: str
    data: dict[str, Any]

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    @property
    def difference(self) -> float | None:
        """Appraised − self points (the one direction, core/numbers.py); None until both exist."""
        return numbers.difference(self.data.get("appraised_points"), self.data.get("self_points"))


@dataclass(frozen=True)
class AreaBlock:
    """An area of the unit's criteria set: component index and its sub-criteria."""

    code: str
    name_vi: str
    name_en: str
    component: float | None
    self_lines: list[SubLine] = field(default_factory=list)
    survey_lines: list[SubLine] = field(default_factory=list)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class Scorecard:
    """One unit's figures in a run, area by area."""

    line: UnitLine
    criteria_set: CriteriaSet
    areas: list[AreaBlock]
    groups: list[str]

    @property
    def flags(self) -> set[str]:
        subs = [s for a in self.areas for s in a.self_lines + a.survey_lines]
        return set(self.line.data["flags"]) | {f for s in subs for f in s.data["flags"]}

    @property
    def has_suppressed(self) -> bool:
        return any(s.data.get("suppressed") for a in self.areas for s in a.survey_lines)

    @property
    def min_respondents(self) -> int:
        """Fewest respondents behind a published group figure."""
        return threshold(self.criteria_set)


def ranking(run: AggregationRun) -> list[KindBlock]:
    """Units per kind, in rank order; kinds in the order of the stored summary."""
    kinds = list_unit_kinds()
    lines: dict[str, list[UnitLine]] = {}
    for result, unit in list_unit_results(run):
        lines.setdefault(result.data["kind"], []).append(UnitLine(unit, result.data))
    summaries = {s["kind"]: s for s in (run.summary or {}).get("summary", [])}
    order = [k for k in summaries if k in lines] + sorted(set(lines) - set(summaries))
    return [KindBlock(kinds[k], lines[k], summaries.get(k)) for k in order]


def scorecard(run: AggregationRun, rnd: Round, unit: Unit, *, public: bool) -> Scorecard | None:
    """The unit's scorecard; None when the run has no figures for it."""
    line = next((UnitLine(u, r.data) for r, u in list_unit_results(run) if u.id == unit.id), None)
    if line is None:
        return None
    rows = {r.subcriterion_code: r.data for r, _u in list_subcriterion_results(run, unit.id)}
    return _card(line, criteria_sets_by_kind(rnd)[unit.kind.code], rows, public)


def scorecards(run: AggregationRun, rnd: Round, *, public: bool) -> list[Scorecard]:
    """Every unit's scorecard, kinds in summary order and units in rank order."""
    rows: dict[int, dict[str, dict]] = {}
    for r, u in list_subcriterion_results(run):
        rows.setdefault(u.id, {})[r.subcriterion_code] = r.data
    sets = criteria_sets_by_kind(rnd)
    return [
        _card(line, sets[block.kind.code], rows.get(line.unit.id, {}), public)
        for block in ranking(run)
        for line in block.lines
    ]


def _card(line: UnitLine, cs: CriteriaSet, rows: dict[str, dict], public: bool) -> Scorecard:
    if public:
        rows = public_rows(rows, cs)
    areas = [_area_block(area, rows, line.data["areas"].get(area.code)) for area in cs.areas]
    return Scorecard(line, cs, areas, [g.group_code for g in cs.group_weights])


def _area_block(area, rows: dict[str, dict], component: float | None) -> AreaBlock:
    block = AreaBlock(area.code, area.name_vi, area.name_en, component)
    for criterion in area.criteria:
        for sub in criterion.subcriteria:
            if sub.code not in rows:
                continue
            target = block.self_lines if sub.source == "self" else block.survey_lines
            target.append(SubLine(sub.code, sub.name_vi, sub.name_en, rows[sub.code]))
    return block


def results_document(run: AggregationRun, rnd: Round, *, public: bool) -> dict[str, Any]:
    """The run as the JSON document of ``parindex index``, plus run facts and unit names."""
    units = [line for block in ranking(run) for line in block.lines]
    return {
        "meta": run_meta(run),
        "units": [line.data for line in units],
        "subcriteria": _subcriteria(run, rnd, public),
        "summary": (run.summary or {}).get("summary", []),
        "unit_names": {
            line.unit.code: {"vi": line.unit.name_vi, "en": line.unit.name_en} for line in units
        },
    }


def run_meta(run: AggregationRun) -> dict[str, Any]:
    return {
        **(run.summary or {}).get("meta", {}),
        "run": run.version,
        "inputs_hash": run.inputs_hash,
        "is_final": run.is_final,
        "is_published": run.is_published,
        "code_version": run.code_version,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _subcriteria(run: AggregationRun, rnd: Round, public: bool) -> list[dict[str, Any]]:
    rows = list_subcriterion_results(run)
    if not public:
        return [r.data for r, _u in rows]
    sets = criteria_sets_by_kind(rnd)
    per_unit: dict[int, dict[str, dict]] = {}
    for r, u in rows:
        per_unit.setdefault(u.id, {})[r.subcriterion_code] = r.data
    shown = {
        u.id: public_rows(per_unit[u.id], sets[u.kind.code]) for _r, u in rows if u.id in per_unit
    }
    return [shown[u.id][r.subcriterion_code] for r, u in rows]
