"""Self-assessment CSV (``unit,subcriterion,self_points,appraised_points,note``)."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

COLUMNS = ("unit", "subcriterion", "self_points", "appraised_points", "note")


@dataclass(frozen=True)
class SelfRow:
    unit: str
    subcriterion: str
    self_points: float
    appraised_points: float | None
    note: str
    #: the row in the file (the header is row 1), for problems found after parsing
    row: int = 0


def parse_self_assessment(
    text: str, name: str, max_points: dict[tuple[str, str], float]
) -> list[SelfRow]:
    """``max_points`` maps (unit, self sub-criterion) to its maximum; anything else is a problem."""
    c = Collector()
    rows: list[SelfRow] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in read_rows(text, name, COLUMNS[:3]):
        check_width(c, number, row)
        at, key = f"row {number}", (row.get("unit", ""), row.get("subcriterion", ""))
        if key not in max_points:
            c.add(
                at,
                "unit '{unit}' has no self-assessed sub-criterion '{sub}' in this round",
                unit=key[0],
                sub=key[1],
            )
            continue
        if key in seen:
            c.add(
                at,
                "{unit} {sub} repeated (first at row {seen})",
                unit=key[0],
                sub=key[1],
                seen=seen[key],
            )
            continue
        seen[key] = number
        points = _points(c, at, row.get("self_points", ""), "self_points", max_points[key], True)
        appraised = _points(
            c, at, row.get("appraised_points", ""), "appraised_points", max_points[key], False
        )
        if points is not None:
            rows.append(SelfRow(key[0], key[1], points, appraised, row.get("note") or "", number))
    c.raise_if_any(name)
    return rows


def _points(
    c: Collector, at: str, raw: str, label: str, maximum: float, required: bool
) -> float | None:
    if not raw:
        if required:
            c.add(at, "{label} is empty", label=label)
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        c.add(at, "{label} '{raw}' is not a number", label=label, raw=raw)
        return None
    if not 0 <= value <= maximum + 1e-9:
        c.add(
            at,
            "{label} {value:g} is outside 0 … {maximum:g}",
            label=label,
            value=value,
            maximum=maximum,
        )
        return None
    return value
