"""CSV reading with exact header checks and row numbers as a spreadsheet shows them.

Bounded while it reads: too many rows or columns, a cell too long and a line the csv
module cannot read are problems of the file (:mod:`survey_app.formats.limits`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from survey_app.formats import limits
from survey_app.formats.limits import LONG_CELL
from survey_app.formats.problems import Collector, InvalidFile, Problem, say


def read_rows(text: str, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Yield ``(row_number, row)``; the header is row 1. Missing columns → ``InvalidFile``."""
    if text.startswith("\ufeff"):  # Excel writes a BOM
        text = text[1:]
    rows = bounded_rows(text, name)
    header = next(rows, (1, []))[1]
    missing = [col for col in required if col not in header]
    if missing:
        raise InvalidFile(
            name,
            [
                Problem(
                    "row 1",
                    "missing column(s): {missing} (expected {expected})",
                    missing=", ".join(missing),
                    expected=",".join(required),
                )
            ],
        )
    for number, values in rows:
        if any("\x00" in v for v in values):
            raise InvalidFile(
                name, [Problem(f"row {number}", "contains a NUL character (U+0000); remove it")]
            )
        row = {h: (values[i] if i < len(values) else "").strip() for i, h in enumerate(header)}
        if len(values) > len(header):
            row["__extra__"] = True
        yield number, row


def bounded_rows(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """``(row_number, cells)`` of every non-blank record, header first, within the limits.

    Numbered as :class:`csv.DictReader` counts (blank lines are skipped, not counted)."""
    bounds = limits.current()
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise _problem(name, number + 1, _csv_message(exc, bounds)) from None
        if values is None:
            return
        if not values:
            continue
        number += 1
        if number > bounds.rows + 1:
            raise _problem(
                name, number, say("more than {limit} rows; split the file", limit=bounds.rows)
            )
        if len(values) > bounds.columns:
            message = say("{n} columns; at most {limit}", n=len(values), limit=bounds.columns)
            raise _problem(name, number, message)
        longest = max(map(len, values))
        if longest > bounds.cell_chars:
            message = say(LONG_CELL, n=longest, limit=bounds.cell_chars)
            raise _problem(name, number, message)
        yield number, values


def _csv_message(exc: csv.Error, bounds: limits.Limits) -> str:
    if "field larger than field limit" in str(exc):
        return say("a cell is longer than {limit} characters", limit=bounds.cell_chars)
    return say("not readable as CSV ({error})", error=exc)


def _problem(name: str, number: int, message: str) -> InvalidFile:
    return InvalidFile(name, [Problem(f"row {number}", message)])


def check_width(c: Collector, number: int, row: dict) -> None:
    if row.pop("__extra__", False):
        c.add(f"row {number}", "more cells than columns in the header")
