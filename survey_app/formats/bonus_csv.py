"""Bonus and penalty CSV (``unit,bonus,penalty``), checked against the criteria sets' caps."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

COLUMNS = ("unit", "bonus", "penalty")


@dataclass(frozen=True)
class BonusRow:
    unit: str
    bonus: float
    penalty: float
    #: the row in the file (the header is row 1)
    row: int = 0


def parse_bonus_penalty(
    text: str, name: str, caps: dict[str, tuple[float | None, float | None]]
) -> list[BonusRow]:
    """``caps`` maps each unit of the round to (bonus cap, penalty cap); no cap means none."""
    c = Collector()
    rows: list[BonusRow] = []
    seen: dict[str, int] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        at, unit = f"row {number}", row.get("unit", "")
        if unit not in caps:
            c.add(at, "unit '{unit}' is not in this round", unit=unit)
            continue
        if unit in seen:
            c.add(at, "{unit} repeated (first at row {seen})", unit=unit, seen=seen[unit])
            continue
        seen[unit] = number
        bonus = _points(c, at, row.get("bonus", ""), "bonus", caps[unit][0])
        penalty = _points(c, at, row.get("penalty", ""), "penalty", caps[unit][1])
        if bonus is not None and penalty is not None:
            rows.append(BonusRow(unit, bonus, penalty, number))
    c.raise_if_any(name)
    return rows


def _points(c: Collector, at: str, raw: str, label: str, cap: float | None) -> float | None:
    if not raw:
        return 0.0
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        c.add(at, "{label} '{raw}' is not a number", label=label, raw=raw)
        return None
    if abs(value * 100 - round(value * 100)) > 1e-6:
        c.add(at, "{label} {raw} has more than two decimals", label=label, raw=raw)
        return None
    if not 0 <= value <= (cap or 0) + 1e-9:
        c.add(
            at,
            "{label} {value:g} is outside 0 … {cap:g} (the criteria set's cap)",
            label=label,
            value=value,
            cap=cap or 0,
        )
        return None
    return value
