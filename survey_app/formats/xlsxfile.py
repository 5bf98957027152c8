"""Reading the sheets of an .xlsx workbook as rows of text, bounded before and while it parses.

A workbook is a zip: its declared sizes are checked before openpyxl opens it (openpyxl
loads ``xl/sharedStrings.xml`` whole, even in read-only mode), and Python's zipfile never
inflates a part past its declared size, so a lying header only truncates (a CRC error).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from survey_app.formats import limits
from survey_app.formats.limits import LONG_CELL, megabytes
from survey_app.formats.problems import InvalidFile, Problem, say

UNREADABLE = "not a readable .xlsx workbook ({error})"
TOO_WIDE = "has cells past column {limit} (even empty formatted ones count: delete those columns)"


def check_zip(data: bytes, name: str, bounds: limits.Limits | None = None) -> None:
    """Refuse a workbook whose parts unzip past the limits, or that looks like a zip bomb."""
    bounds = bounds or limits.current()
    limits.check_size(data, name, bounds.upload_bytes)
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _invalid(name, say(UNREADABLE, error=exc)) from None
    if len(members) > limits.XLSX_MAX_MEMBERS:
        message = "holds {n} parts; a workbook has at most {limit}"
        raise _invalid(name, say(message, n=len(members), limit=limits.XLSX_MAX_MEMBERS))
    total = 0
    for m in members:
        total += m.file_size
        if m.file_size > bounds.unzipped_bytes:
            message = "part {part} unzips to {size}; at most {limit} is read"
            size, limit = megabytes(m.file_size), megabytes(bounds.unzipped_bytes)
            raise _invalid(name, say(message, part=m.filename, size=size, limit=limit))
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > limits.XLSX_RATIO_FLOOR and ratio > limits.XLSX_MAX_RATIO:
            message = "part {part} is compressed {ratio} to 1 (a decompression bomb?); not read"
            raise _invalid(name, say(message, part=m.filename, ratio=f"{ratio:.0f}"))
    if total > bounds.unzipped_bytes:
        message = "unzips to {size}; at most {limit} is read"
        limit = megabytes(bounds.unzipped_bytes)
        raise _invalid(name, say(message, size=megabytes(total), limit=limit))


def _invalid(name: str, message: str) -> InvalidFile:
    return InvalidFile(name, [Problem("file", message)])


def open_workbook(data: bytes, name: str):
    """The workbook, read-only, once :func:`check_zip` has passed."""
    from openpyxl import load_workbook

    check_zip(data, name)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        raise _invalid(name, say(UNREADABLE, error=exc)) from None


def bounded_values(sheet, name: str) -> Iterator[tuple[int, tuple]]:
    """``(row_number, values)`` of every row, header included, refused past the row,
    column and cell-length limits. The sheet's declared dimension is ignored: openpyxl
    would pad every row to it, and a file can declare 18,278 columns."""
    bounds = limits.current()
    sheet.reset_dimensions()
    where = f"sheet {sheet.title}"
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(values) > bounds.columns:
                message = say(TOO_WIDE, limit=bounds.columns)
                raise _bound(name, f"{where}, row {number}", message)
            if number > bounds.rows + 1 and any(v is not None and v != "" for v in values):
                message = say("more than {limit} rows; split the file", limit=bounds.rows)
                raise _bound(name, f"{where}, row {number}", message)
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and len(value) > bounds.cell_chars:
                    message = say(LONG_CELL, n=len(value), limit=bounds.cell_chars)
                    raise _bound(name, f"{where}, row {number}, column {column}", message)
            yield number, values
    except InvalidFile:
        raise
    except Exception as exc:  # noqa: BLE001 — a broken sheet part (CRC, XML) while streaming
        message = say("cannot be read ({error})", error=exc)
        raise _bound(name, f"{where}, row {number + 1}", message) from None


def _bound(name: str, where: str, message: str) -> InvalidFile:
    return InvalidFile(name, [Problem(where, message)])


def cell_text(value) -> str:
    """A cell as the text a CSV would hold (``3.0`` → ``"3"``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_rows(sheet, name: str = "") -> Iterator[tuple[int, dict]]:
    """Yield ``(row_number, {header: text})`` for every non-empty row after the header."""
    rows = bounded_values(sheet, name or sheet.title)
    yield from _records([cell_text(v) for v in next(rows, (1, ()))[1]], rows)


def _records(header: list[str], rows) -> Iterator[tuple[int, dict]]:
    for number, values in rows:
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        if any(cells[len(header) :]):
            row["__extra__"] = True
        yield number, row


def read_xlsx_rows(data: bytes, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Like :func:`survey_app.formats.csvfile.read_rows`, for the first sheet of a workbook."""
    rows = bounded_values(open_workbook(data, name).worksheets[0], name)
    header = [cell_text(v) for v in next(rows, (1, ()))[1]]
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
    yield from _records(header, rows)
