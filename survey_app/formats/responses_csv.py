"""Responses CSV (``response_id,unit,group,stratum,psu,weight[,attributes…],Q01,…``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

DESIGN_COLUMNS = ("response_id", "unit", "group", "stratum", "psu")


@dataclass(frozen=True)
class ResponseRow:
    unit: str
    group: str
    stratum: str
    psu: str
    attributes: dict[str, str]
    answers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionnaireRules:
    """What a row is checked against: the round's units, and each item's groups and values."""

    units: set[str]
    item_groups: dict[str, set[str]]
    item_values: dict[str, set[int]]

    @property
    def groups(self) -> set[str]:
        return set().union(*self.item_groups.values()) if self.item_groups else set()


def parse_responses(text: str, name: str, rules: QuestionnaireRules) -> list[ResponseRow]:
    """Validate every row; an unknown unit, group or item, or a value off its scale, is a
    problem, and any problem rejects the whole file."""
    c = Collector()
    rows: list[ResponseRow] = []
    reader = read_rows(text, name, DESIGN_COLUMNS)
    for number, row in reader:
        check_width(c, number, row)
        parsed = _row(c, number, row, rules)
        if parsed:
            rows.append(parsed)
    if not rows and not c.problems:
        c.add("row 2", "the file has no responses")
    c.raise_if_any(name)
    return rows


def _row(c: Collector, number: int, row: dict, rules: QuestionnaireRules) -> ResponseRow | None:
    at = f"row {number}"
    before = len(c.problems)
    for col in ("unit", "group", "stratum", "psu"):
        if not row.get(col):
            c.add(at, "empty {col}", col=col)
    if row.get("unit") and row["unit"] not in rules.units:
        c.add(at, "unit '{unit}' is not in this round", unit=row["unit"])
    if row.get("group") and row["group"] not in rules.groups:
        c.add(at, "unknown respondent group '{group}'", group=row["group"])
    answers = _answers(c, at, row, rules)
    if len(c.problems) > before:
        return None
    attributes = {
        k: v
        for k, v in row.items()
        if k not in DESIGN_COLUMNS
        and k != "weight"
        and k not in rules.item_values
        and not _looks_like_item(k, rules)
    }
    return ResponseRow(row["unit"], row["group"], row["stratum"], row["psu"], attributes, answers)


def _looks_like_item(column: str, rules: QuestionnaireRules) -> bool:
    return column.upper().startswith("Q") and column[1:].isdigit()


def _answers(c: Collector, at: str, row: dict, rules: QuestionnaireRules) -> dict[str, int]:
    out = {}
    for col, raw in row.items():
        if col in DESIGN_COLUMNS or col == "weight" or not raw:
            continue
        if col not in rules.item_values:
            if _looks_like_item(col, rules):
                c.add(at, "unknown item '{col}'", col=col)
            continue
        try:
            value = int(float(raw)) if float(raw).is_integer() else None
        except ValueError:
            value = None
        if value is None or value not in rules.item_values[col]:
            allowed = ", ".join(str(v) for v in sorted(rules.item_values[col]))
            c.add(
                at,
                "{col}: '{raw}' is not on the item's scale ({allowed})",
                col=col,
                raw=raw,
                allowed=allowed,
            )
        elif row.get("group") and row["group"] not in rules.item_groups[col]:
            c.add(at, "{col} is not asked of group '{group}'", col=col, group=row["group"])
        else:
            out[col] = value
    return out
