"""Respondent list (``email,name,group,unit,stratum,psu[,weighting variables…]``), CSV or XLSX.

A response copies its invitation's unit, group, stratum, PSU and weighting attributes, so
the list may carry no other column than the round's declared weighting variables (its
population margins), and every combination of those values must hold at least
``min_cell`` people (see :mod:`survey_app.formats.cells`, which coarsens or refuses).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from survey_app.formats.cells import Cell, protect
from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.limits import decode_text
from survey_app.formats.problems import Collector, Phrase
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
    """What a row is checked against: the round's units, groups, strata, known people, its
    weighting variables (variable → levels) and the cells of its earlier invitations."""

    units: set[str]
    groups: set[str]
    strata: set[str] | None = None
    existing: frozenset[tuple[str, str, str]] = frozenset()
    weighting: dict[str, set[str]] = field(default_factory=dict)
    cells: Counter[Cell] = field(default_factory=Counter)
    min_cell: int = 5


@dataclass(frozen=True)
class RespondentList:
    """The rows to store (coarsened) and what was coarsened, for the admin to see."""

    rows: list[RespondentRow]
    #: (unit, group, stratum) whose new rows lost their weighting attributes
    dropped: list[tuple[str, str, str]]
    #: (stratum, psu) merged into the pooled PSU ``*``
    pooled: list[tuple[str, str]]


def parse_respondents(data: bytes, name: str, rules: ListRules) -> RespondentList:
    """Validate every row; any problem rejects the whole list (``InvalidFile``)."""
    c = Collector()
    rows: list[RespondentRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    undeclared: set[str] = set()
    for number, row in _rows(data, name):
        check_width(c, number, row)
        # (an unnamed empty column, as a trailing comma makes, carries nothing)
        undeclared.update(
            k for k, v in row.items() if k not in COLUMNS and k not in rules.weighting and (k or v)
        )
        parsed = _row(c, number, row, rules)
        if parsed is None:
            continue
        _duplicates(c, number, parsed, seen, rules)
        rows.append(parsed)
    if not rows and not c.problems:
        c.add("row 2", "the list has no respondents")
    _undeclared_columns(c, undeclared, rules)
    _identifying_columns(c, rows)
    c.raise_if_any(name)
    return _protected(c, name, rows, rules)


def _protected(c: Collector, name: str, rows: list[RespondentRow], rules: ListRules):
    done = protect(rows, rules.cells.elements(), rules.min_cell)
    for small in done.strata_small:
        c.add(
            _cell(small),
            "{n} people: fewer than {k}; a response would be recognisable by its "
            "stratum; use strata that keep at least {k} people of a unit and group together",
            n=small.people,
            k=small.target,
        )
    for small in done.small:
        c.add(
            _cell(small),
            "{n} people: fewer than {k}, even with the PSUs of the stratum merged and "
            "the weighting attributes dropped; add people or merge these PSUs by hand",
            n=small.people,
            k=small.target,
        )
    c.raise_if_any(name)
    return RespondentList(done.rows, done.dropped, done.pooled)


def _cell(small) -> str:
    """Where a small cell is: ``cell C01 / leader / C01-leader / C01-D1 / sex=F`` (codes,
    the same in both languages; the word "cell" is translated with the other places)."""
    unit, group, stratum, psu, attrs = small.cell
    parts = [unit, group, stratum] + ([psu] if psu else []) + [f"{k}={v}" for k, v in attrs]
    return "cell " + " / ".join(parts)


def _undeclared_columns(c: Collector, columns: set[str], rules: ListRules) -> None:
    """Only weighting variables may follow the fixed columns: they go into responses."""
    declared = ", ".join(sorted(rules.weighting)) or Phrase("none")
    for column in sorted(columns):
        c.add(
            f"column {column}",
            "'{name}' is not a weighting variable of this round (declared in its "
            "population margins: {declared}); every extra column would be copied into "
            "anonymous responses: remove it",
            name=column,
            declared=declared,
        )


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
    for variable, levels in sorted(rules.weighting.items()):
        value = row.get(variable) or ""
        if value and value not in levels:
            c.add(
                at,
                "{variable} '{value}' is not one of its levels in the population "
                "margins ({levels})",
                variable=variable,
                value=value,
                levels=", ".join(sorted(levels)),
            )
    if len(c.problems) > before:
        return None
    attributes = {k: v for k, v in row.items() if k in rules.weighting and v != ""}
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
    """Stratum, PSU and attributes are copied into anonymous responses: a column that tells
    people apart (every filled cell different; blanks do not hide it) must not be."""
    columns = {"stratum": [r.stratum for r in rows], "psu": [r.psu for r in rows]}
    for column in sorted({k for r in rows for k in r.attributes}):
        columns[column] = [r.attributes.get(column) for r in rows]
    for column, values in columns.items():
        filled = [v for v in values if v]
        if len(filled) >= IDENTIFIER_MIN_ROWS and len(set(filled)) == len(filled):
            c.add(
                f"column {column}",
                "every row has a different value: it would identify respondents in "
                "their anonymous responses; keep only weighting variables such as sex "
                "or age band",
            )


def coarsening_notes(listing: RespondentList) -> list[Phrase]:
    """What was coarsened to keep every cell at the minimum size, for the admin: ``str`` in
    English for the command line, ``.text()`` in the reader's language on a page."""
    notes = []
    if listing.dropped:
        cells = "; ".join(f"{u}/{g}/{s}" for u, g, s in listing.dropped)
        notes.append(
            Phrase(
                "Weighting attributes not kept (they would have split these unit/group/"
                "stratum cells below the minimum): {cells}",
                cells=cells,
            )
        )
    if listing.pooled:
        cells = "; ".join(f"{s}: {p}" for s, p in listing.pooled)
        notes.append(
            Phrase(
                "PSUs merged into one PSU '*' of their stratum (too few people): {cells}",
                cells=cells,
            ),
        )
    return notes
