"""CSV reading with exact header checks and row numbers as a spreadsheet shows them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from survey_app.formats.problems import Collector, InvalidFile, Problem


def read_rows(text: str, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Yield ``(row_number, row)``; the header is row 1. Missing columns → ``InvalidFile``."""
    if text.startswith("\ufeff"):  # Excel writes a BOM
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
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
    for number, row in enumerate(reader, start=2):
        if any("\x00" in v for v in row.values() if isinstance(v, str)):
            raise InvalidFile(
                name, [Problem(f"row {number}", "contains a NUL character (U+0000); remove it")]
            )
        if None in row:
            row.pop(None)
            row["__extra__"] = True
        yield number, {k: (v or "").strip() if isinstance(v, str) else v for k, v in row.items()}


def check_width(c: Collector, number: int, row: dict) -> None:
    if row.pop("__extra__", False):
        c.add(f"row {number}", "more cells than columns in the header")
