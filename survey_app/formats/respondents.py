"""Respondent list (``email,name,group,unit,stratum,psu[,attributes…]``), CSV or XLSX."""

from __future__ import annotations

import re
from dataclasses import dataclass

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.limits import decode_text
from survey_app.formats.problems import Collector
from survey_app.formats.xlsxfile import read_xlsx_rows

COLUMNS = ("email", "name", "group", "unit", "stratum", "psu")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
#: With at least this many rows, a column whose every value differs identifies people.
IDENTIFIER_MIN_ROWS = 20


@dataclass(frozen=True)
class RespondentRow:
    email: str | None
    name: str
    group: str
    unit: str
    stratum: str
    psu: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class ListRules:
    """What a row is checked against: the round's units, groups, strata and known people."""

    units: set[str]
    groups: set[str]
    strata: set[str] | None = None
    existing: frozenset[tuple[str, str, str]] = frozenset()


def parse_respondents(data: bytes, name: str, rules: ListRules) -> list[RespondentRow]:
    """Validate every row; any problem rejects the whole list (``InvalidFile``)."""
    c = Collector()
    rows: list[RespondentRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in _rows(data, name):
        check_width(c, number, row)
        parsed = _row(c, number, row, rules)
        if parsed is None:
            continue
        _duplicates(c, number, parsed, seen, rules)
        rows.append(parsed)
    if not rows and not c.problems:
        c.add("row 2", "the list has no respondents")
    _identifying_columns(c, rows)
    c.raise_if_any(name)
    return rows


def _rows(data: bytes, name: str):
    if data[:4] == b"PK\x03\x04":  # a zip container: .xlsx
        return read_xlsx_rows(data, name, COLUMNS)
    return read_rows(decode_text(data, name), name, COLUMNS)


def _row(c: Collector, number: int, row: dict, rules: ListRules) -> RespondentRow | None:
    at, before = f"row {number}", len(c.problems)
    for col in ("group", "unit", "stratum", "psu"):
        if not row.get(col):
            c.add(at, "empty {col}", col=col)
    email = (row.get("email") or "").lower() or None
    if email and not _EMAIL.match(email):
        c.add(at, "'{email}' is not an e-mail address", email=row["email"])
    if row.get("unit") and row["unit"] not in rules.units:
        c.add(at, "unit '{unit}' is not in this round", unit=row["unit"])
    if row.get("group") and row["group"] not in rules.groups:
        c.add(
            at,
            "unknown respondent group '{group}' (known: {known})",
            group=row["group"],
            known=", ".join(sorted(rules.groups)),
        )
    if rules.strata is not None and row.get("stratum") and row["stratum"] not in rules.strata:
        c.add(
            at, "stratum '{stratum}' is not in the round's sampling frame", stratum=row["stratum"]
        )
    if len(c.problems) > before:
        return None
    attributes = {k: v for k, v in row.items() if k not in COLUMNS and v != ""}
    return RespondentRow(
        email,
        row.get("name", ""),
        row["group"],
        row["unit"],
        row["stratum"],
        row["psu"],
        attributes,
    )


def _duplicates(
    c: Collector, number: int, row: RespondentRow, seen: dict, rules: ListRules
) -> None:
    if row.email is None:
        return
    key = (row.email, row.unit, row.group)
    if key in seen:
        c.add(
            f"row {number}",
            "{email} is already listed for {unit}/{group} (row {seen})",
            email=row.email,
            unit=row.unit,
            group=row.group,
            seen=seen[key],
        )
    elif key in rules.existing:
        c.add(
            f"row {number}",
            "{email} is already invited to rate {unit} as {group}",
            email=row.email,
            unit=row.unit,
            group=row.group,
        )
    seen.setdefault(key, number)


def _identifying_columns(c: Collector, rows: list[RespondentRow]) -> None:
    """Attributes are copied into anonymous responses: one that tells people apart must not be."""
    if len(rows) < IDENTIFIER_MIN_ROWS:
        return
    for column in sorted({k for r in rows for k in r.attributes}):
        values = [r.attributes.get(column) for r in rows]
        if None not in values and len(set(values)) == len(values):
            c.add(
                f"column {column}",
                "every row has a different value: it would identify respondents in their "
                "anonymous responses; keep only weighting variables such as sex or age band",
            )
