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
from survey_app.formats.limits import megabytes
from survey_app.formats.problems import InvalidFile, Problem


def check_zip(data: bytes, name: str, bounds: limits.Limits | None = None) -> None:
    """Refuse a workbook whose parts unzip past the limits, or that looks like a zip bomb."""
    bounds = bounds or limits.current()
    limits.check_size(data, name, bounds.upload_bytes)
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _invalid(name, f"not a readable .xlsx workbook ({exc})") from None
    if len(members) > limits.XLSX_MAX_MEMBERS:
        raise _invalid(name, f"holds {len(members)} parts; a workbook has at most "
                             f"{limits.XLSX_MAX_MEMBERS}")  # fmt: skip
    total = 0
    for m in members:
        total += m.file_size
        if m.file_size > bounds.unzipped_bytes:
            raise _invalid(name, f"part {m.filename} unzips to {megabytes(m.file_size)}; "
                                 f"at most {megabytes(bounds.unzipped_bytes)} is read")  # fmt: skip
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > limits.XLSX_RATIO_FLOOR and ratio > limits.XLSX_MAX_RATIO:
            raise _invalid(name, f"part {m.filename} is compressed {ratio:.0f} to 1 "
                                 "(a decompression bomb?); it is not read")  # fmt: skip
    if total > bounds.unzipped_bytes:
        raise _invalid(name, f"unzips to {megabytes(total)}; at most "
                             f"{megabytes(bounds.unzipped_bytes)} is read")  # fmt: skip


def _invalid(name: str, message: str) -> InvalidFile:
    return InvalidFile(name, [Problem("file", message)])


def open_workbook(data: bytes, name: str):
    """The workbook, read-only, once :func:`check_zip` has passed."""
    from openpyxl import load_workbook

    check_zip(data, name)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        raise _invalid(name, f"not a readable .xlsx workbook ({exc})") from None


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
                raise _bound(name, f"{where}, row {number}",
                             f"has cells past column {bounds.columns} (even empty formatted "
                             "ones count: delete those columns)")  # fmt: skip
            if number > bounds.rows + 1 and any(v is not None and v != "" for v in values):
                raise _bound(name, f"{where}, row {number}",
                             f"more than {bounds.rows} rows; split the file")  # fmt: skip
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and len(value) > bounds.cell_chars:
                    raise _bound(name, f"{where}, row {number}, column {column}",
                                 f"a cell of {len(value)} characters; at most "
                                 f"{bounds.cell_chars}")  # fmt: skip
            yield number, values
    except InvalidFile:
        raise
    except Exception as exc:  # noqa: BLE001 — a broken sheet part (CRC, XML) while streaming
        raise _bound(name, f"{where}, row {number + 1}", f"cannot be read ({exc})") from None


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
                    f"missing column(s): {', '.join(missing)} (expected {','.join(required)})",
                )
            ],
        )
    yield from _records(header, rows)
