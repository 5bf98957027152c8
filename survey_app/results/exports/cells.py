"""Cells that a spreadsheet must show as text, never run as a formula (CSV/formula injection)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import Cell

from survey_app.formats.safe_cells import FORMULA_STARTS, safe_cell


def is_risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV cell: risky text gets a leading ``'`` (:func:`safe_cell`); None and NaN become
    empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return safe_cell(value)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Vietnamese diacritics."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def set_cell(cell: Cell, value: Any, number_format: str | None = None) -> None:
    """Put ``value`` in ``cell``: text always as a string cell (with a quote prefix if risky)."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
    elif number_format and value is not None:
        cell.number_format = number_format
