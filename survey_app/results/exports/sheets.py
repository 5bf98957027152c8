"""The tables every results download holds: columns (key, title, type, width) and rows.

CSV headers are the keys (the field names of ``parindex index``, stable for scripts);
XLSX headers are the titles, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_app.results.tables import KindBlock, Scorecard


@dataclass(frozen=True)
class Column:
    key: str
    #: English title, translated for spreadsheets
    title: str
    #: text, num (two decimals shown) or int
    type: str = "num"
    width: float = 11
    #: values for the placeholders of ``title``
    params: tuple[tuple[str, str], ...] = ()


UNIT_COLUMNS = [
    Column("kind", "Unit kind", "text", 10),
    Column("rank", "Rank", "int", 7),
    Column("rank_low", "Rank interval, best", "int", 10),
    Column("rank_high", "Rank interval, worst", "int", 10),
    Column("unit", "Unit code", "text", 9),
    Column("name_vi", "Name (Vietnamese)", "text", 40),
    Column("name_en", "Name (English)", "text", 36),
    Column("index", "Index (%)"),
    Column("index_se", "SE of the index"),
    Column("index_ci_low", "95% CI, low"),
    Column("index_ci_high", "95% CI, high"),
    Column("self_points", "Self-assessed points (appraised)"),
    Column("survey_points", "Survey points"),
    Column("survey_se", "SE of survey points"),
    Column("bonus", "Bonus"),
    Column("penalty", "Penalty"),
    Column("max_points", "Maximum points"),
    Column("previous_index", "Last year's index (%)"),
    Column("change", "Change (points)"),
    Column("flags", "Flags", "text", 30),
]

SUB_COLUMNS = [
    Column("kind", "Unit kind", "text", 8),
    Column("unit", "Unit code", "text", 9),
    Column("name_vi", "Unit (Vietnamese)", "text", 32),
    Column("name_en", "Unit (English)", "text", 28),
    Column("area", "Area", "text", 6),
    Column("area_index", "Component index of the area (%)"),
    Column("subcriterion", "Sub-criterion", "text", 11),
    Column("subcriterion_name_vi", "Sub-criterion (Vietnamese)", "text", 36),
    Column("subcriterion_name_en", "Sub-criterion (English)", "text", 30),
    Column("source", "Source", "text", 8),
    Column("max_points", "Maximum points"),
    Column("self_points", "Self points"),
    Column("appraised_points", "Appraised points"),
    Column("difference", "Difference (appraised − self)"),
    Column("points", "Points"),
    Column("se", "SE"),
    Column("ci_low", "95% CI, low"),
    Column("ci_high", "95% CI, high"),
]


def unit_columns(blocks: list[KindBlock]) -> list[Column]:
    """The unit columns, then one component-index column per area code met."""
    codes = dict.fromkeys(c for b in blocks for line in b.lines for c in line.data["areas"])
    return UNIT_COLUMNS + [
        Column(f"area_{c}", "Area {code} (%)", "num", 9, (("code", c),)) for c in codes
    ]


def unit_rows(block: KindBlock) -> list[dict[str, Any]]:
    return [
        {
            **line.data,
            **{f"area_{code}": value for code, value in line.data["areas"].items()},
            "name_vi": line.unit.name_vi,
            "name_en": line.unit.name_en,
            "flags": "; ".join(line.data["flags"]),
        }
        for line in block.lines
    ]


def group_codes(cards: list[Scorecard]) -> list[str]:
    seen: dict[str, None] = {}
    for card in cards:
        seen.update(dict.fromkeys(card.groups))
    return list(seen)


def sub_columns(groups: list[str]) -> list[Column]:
    per_group = [
        col
        for g in groups
        for col in (
            Column(f"{g}_n", "{group}: n", "int", 8, (("group", g),)),
            Column(f"{g}_mean", "{group}: mean score (0–1)", "num", 10, (("group", g),)),
            Column(f"{g}_se", "{group}: SE", "num", 9, (("group", g),)),
        )
    ]
    return SUB_COLUMNS + per_group + [Column("flags", "Flags", "text", 30)]


def sub_rows(cards: list[Scorecard], groups: list[str]) -> list[dict[str, Any]]:
    return [
        _sub_row(card, area, sub, groups)
        for card in cards
        for area in card.areas
        for sub in area.self_lines + area.survey_lines
    ]


def _sub_row(card: Scorecard, area, sub, groups: list[str]) -> dict[str, Any]:
    unit = card.line.unit
    row = {
        **sub.data,
        "kind": card.line.data["kind"],
        "name_vi": unit.name_vi,
        "name_en": unit.name_en,
        "area": area.code,
        "area_index": area.component,
        "subcriterion_name_vi": sub.name_vi,
        "subcriterion_name_en": sub.name_en,
        "difference": sub.difference,
        "flags": "; ".join(sub.data["flags"]),
    }
    for g in groups:
        est = (sub.data.get("groups") or {}).get(g) or {}
        row.update({f"{g}_n": est.get("n"), f"{g}_mean": est.get("mean"), f"{g}_se": est.get("se")})
    return row


def values(columns: list[Column], rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[row.get(c.key) for c in columns] for row in rows]
