"""Previous results CSV (``unit,year,index``: last year's published index) → validated rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

COLUMNS = ("unit", "year", "index")
#: The years a published PAR Index can be for.
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class PreviousRow:
    unit: str
    year: int
    index: float
    #: the row in the file (the header is row 1)
    row: int = 0


def parse_previous(text: str, name: str, units: set[str] | None) -> list[PreviousRow]:
    """Each row names a known unit (``units``; None checks nothing), a year and an index in
    0 … 100; a unit has at most one index per year."""
    c = Collector()
    rows: list[PreviousRow] = []
    seen: dict[tuple[str, int], int] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        at, unit = f"row {number}", row.get("unit", "")
        if not unit:
            c.add(at, "empty unit")
        elif units is not None and unit not in units:
            c.add(at, "unknown unit '{unit}'", unit=unit)
        year, index = _year(c, at, row.get("year", "")), _index(c, at, row.get("index", ""))
        if not unit or year is None or index is None:
            continue
        if (unit, year) in seen:
            c.add(
                at,
                "{unit} {year} repeated (first at row {seen})",
                unit=unit,
                year=year,
                seen=seen[unit, year],
            )
            continue
        seen[unit, year] = number
        rows.append(PreviousRow(unit, year, index, number))
    if not rows and not c.problems:
        c.add("row 2", "the file has no rows")
    c.raise_if_any(name)
    return rows


def _year(c: Collector, at: str, raw: str) -> int | None:
    if not (raw.isascii() and raw.isdigit()) or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        c.add(
            at,
            "year '{raw}' is not a year from {FIRST_YEAR} to {LAST_YEAR}",
            raw=raw,
            FIRST_YEAR=FIRST_YEAR,
            LAST_YEAR=LAST_YEAR,
        )
        return None
    return int(raw)


def _index(c: Collector, at: str, raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        c.add(at, "index '{raw}' is not a number", raw=raw)
        return None
    if not math.isfinite(value) or not 0 <= value <= 100:
        c.add(at, "index {raw} is outside 0 … 100", raw=raw)
        return None
    return value
