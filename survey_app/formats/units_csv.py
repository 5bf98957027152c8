"""Units CSV (``code,kind,name_vi,name_en``) → validated :class:`UnitSpec` rows."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

COLUMNS = ("code", "kind", "name_vi", "name_en")


@dataclass(frozen=True)
class UnitSpec:
    code: str
    kind: str
    name_vi: str
    name_en: str


def parse_units(text: str, name: str) -> list[UnitSpec]:
    """Every row must have a unique code, a kind and both names."""
    c = Collector()
    units: list[UnitSpec] = []
    first_row: dict[str, int] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        empty = [col for col in COLUMNS if not row.get(col)]
        if empty:
            c.add(f"row {number}", "empty {columns}", columns=", ".join(empty))
            continue
        if row["code"] in first_row:
            c.add(
                f"row {number}",
                "duplicate unit code '{code}' (first at row {first_row})",
                code=row["code"],
                first_row=first_row[row["code"]],
            )
            continue
        first_row[row["code"]] = number
        units.append(UnitSpec(row["code"], row["kind"], row["name_vi"], row["name_en"]))
    if not units and not c.problems:
        c.add("row 2", "the file has no units")
    c.raise_if_any(name)
    return units
