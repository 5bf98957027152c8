"""Criteria set YAML (FORMATS.md "Criteria set") → a validated :class:`CriteriaSetSpec`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from survey_app.formats import fields
from survey_app.formats.problems import Collector
from survey_app.formats.yamlfile import load_yaml, where
from survey_app.i18n import N_

WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SubCriterionSpec:
    code: str
    name_vi: str
    name_en: str
    source: str
    max_points: float
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    name_vi: str
    name_en: str
    subcriteria: tuple[SubCriterionSpec, ...]


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name_vi: str
    name_en: str
    criteria: tuple[CriterionSpec, ...]


@dataclass(frozen=True)
class CriteriaSetSpec:
    code: str
    name_vi: str
    name_en: str
    year: int
    unit_kind: str
    min_group_respondents: int
    group_weights: dict[str, float]
    bonus_cap: float | None
    penalty_cap: float | None
    areas: tuple[AreaSpec, ...]
    source_text: str = field(repr=False, default="")

    def subcriteria(self) -> list[SubCriterionSpec]:
        return [s for a in self.areas for c in a.criteria for s in c.subcriteria]

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.subcriteria())


def parse_criteria_set(text: str, name: str, known_items: Iterable[str] | None) -> CriteriaSetSpec:
    """Read and validate a criteria set; raise ``InvalidFile`` listing every problem.

    ``known_items`` are the item codes of the questionnaires it may use; ``None`` skips
    the check (``parindex index`` checks items against its own questionnaire).
    """
    data = load_yaml(text, name)
    c = Collector()
    top = where(data, "top level")
    name_vi, name_en = fields.bilingual(c, data, "name", top)
    spec = CriteriaSetSpec(
        code=fields.text(c, data, "code", top),
        name_vi=name_vi,
        name_en=name_en,
        year=fields.integer(c, data.get("year"), "year", top, minimum=1900) or 0,
        unit_kind=fields.text(c, data, "unit_kind", top),
        min_group_respondents=fields.integer(
            c, data.get("min_group_respondents", 5), "min_group_respondents", top, 1
        )
        or 1,
        group_weights=_group_weights(c, data, top),
        bonus_cap=_cap(c, data, "bonus_cap", top),
        penalty_cap=_cap(c, data, "penalty_cap", top),
        areas=_areas(c, data),
        source_text=text,
    )
    _check_codes(c, data, spec)
    if known_items is not None:
        _check_items(c, data, set(known_items))
    c.raise_if_any(name)
    return spec


def _group_weights(c: Collector, data: dict, top: str) -> dict[str, float]:
    raw = data.get("group_weights")
    if not isinstance(raw, dict) or not [k for k in raw if k != "__line__"]:
        c.add(top, "'group_weights' must map each respondent group to its weight")
        return {}
    at = where(raw, "group_weights")
    weights = {}
    for group, value in raw.items():
        if group == "__line__":
            continue
        w = fields.number(c, value, f"weight of group '{group}'", at, minimum=0, exclusive=True)
        if w is not None:
            weights[str(group)] = w
    total = sum(weights.values())
    if len(weights) == len(raw) - 1 and abs(total - 1.0) > WEIGHT_TOLERANCE:
        c.add(at, "group weights must sum to 1, they sum to {total:g}", total=total)
    return weights


def _cap(c: Collector, data: dict, key: str, top: str) -> float | None:
    if data.get(key) is None:
        return None
    return fields.number(c, data[key], key, top, minimum=0)


def _areas(c: Collector, data: dict) -> tuple[AreaSpec, ...]:
    out = []
    for i, node in enumerate(fields.items_list(c, data, "areas", where(data, "top level"))):
        at = where(node, f"areas[{i}]")
        if not isinstance(node, dict):
            c.add(at, "an area must be a mapping")
            continue
        vi, en = fields.bilingual(c, node, "name", at)
        code = fields.code(c, node, "code", at, "area code")
        out.append(AreaSpec(code, vi, en, _criteria(c, node, at)))
    return tuple(out)


def _criteria(c: Collector, area: dict, area_at: str) -> tuple[CriterionSpec, ...]:
    out = []
    for i, node in enumerate(fields.items_list(c, area, "criteria", area_at)):
        at = where(node, f"criteria[{i}]")
        if not isinstance(node, dict):
            c.add(at, "a criterion must be a mapping")
            continue
        vi, en = fields.bilingual(c, node, "name", at)
        subs = tuple(
            _subcriterion(c, s, where(s, f"subcriteria[{j}]"))
            for j, s in enumerate(fields.items_list(c, node, "subcriteria", at))
        )
        out.append(
            CriterionSpec(
                fields.code(c, node, "code", at, "criterion code"),
                vi,
                en,
                tuple(s for s in subs if s),
            )
        )
    return tuple(out)


def _subcriterion(c: Collector, node, at: str) -> SubCriterionSpec | None:
    if not isinstance(node, dict):
        c.add(at, "a sub-criterion must be a mapping")
        return None
    code = fields.code(c, node, "code", at, "sub-criterion code")
    vi, en = fields.bilingual(c, node, "name", at)
    source = fields.text(c, node, "source", at)
    if source and source not in ("self", "survey"):
        c.add(at, "source must be 'self' or 'survey', got '{source}'", source=source)
    points = fields.number(
        c, node.get("max_points"), f"max_points ({code})", at, minimum=0, exclusive=True
    )
    items = node.get("items") or []
    if source == "survey" and not items:
        c.add(at, "survey sub-criterion {code} must list its questionnaire items", code=code)
    if source == "self" and items:
        c.add(at, "self-assessed sub-criterion {code} cannot have questionnaire items", code=code)
    return SubCriterionSpec(
        code,
        vi,
        en,
        source,
        points or 0.0,
        tuple(str(i) for i in items) if isinstance(items, list) else (),
    )


def _check_codes(c: Collector, data: dict, spec: CriteriaSetSpec) -> None:
    """Area, criterion and sub-criterion codes must each be unique within the set."""
    seen: dict[str, str] = {}
    for kind, nodes in _coded_nodes(data):
        for node, path in nodes:
            code = str(node.get("code", "")).strip()
            if not code:
                continue
            key = f"{kind}:{code}"
            if key in seen:
                c.add(
                    where(node, path),
                    "duplicate {kind} code '{code}' (first at {seen})",
                    kind=kind,
                    code=code,
                    seen=seen[key],
                )
            else:
                seen[key] = where(node, path)


def _coded_nodes(data: dict):
    areas = [a for a in data.get("areas") or [] if isinstance(a, dict)]
    crits = [
        (cr, f"criteria[{j}]")
        for a in areas
        for j, cr in enumerate(a.get("criteria") or [])
        if isinstance(cr, dict)
    ]
    subs = [
        (s, f"subcriteria[{k}]")
        for cr, _ in crits
        for k, s in enumerate(cr.get("subcriteria") or [])
        if isinstance(s, dict)
    ]
    yield N_("area"), [(a, f"areas[{i}]") for i, a in enumerate(areas)]
    yield N_("criterion"), crits
    yield N_("sub-criterion"), subs


def _check_items(c: Collector, data: dict, known: set[str]) -> None:
    for _, nodes in _coded_nodes(data):
        for node, path in nodes:
            items = node.get("items")
            if not isinstance(items, list):
                continue
            for item in items:
                if str(item) not in known:
                    if known:
                        message = N_(
                            "unknown questionnaire item '{item}' (criteria use scored items "
                            "only: a select_one on a scored list)"
                        )
                    else:
                        message = N_(
                            "unknown questionnaire item '{item}' (import the questionnaire first)"
                        )
                    c.add(where(node, path), message, item=item)
