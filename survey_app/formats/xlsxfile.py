"""Reading the first sheet (or a named sheet) of an .xlsx workbook as rows of text."""

from __future__ import annotations

import io
from collections.abc import Iterator

from survey_app.formats.problems import InvalidFile, Problem


def open_workbook(data: bytes, name: str):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        raise InvalidFile(
            name, [Problem("file", "not a readable .xlsx workbook ({exc})", exc=exc)]
        ) from None


def cell_text(value) -> str:
    """A cell as the text a CSV would hold (``3.0`` → ``"3"``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_rows(sheet) -> Iterator[tuple[int, dict]]:
    """Yield ``(row_number, {header: text})`` for every non-empty row after the header."""
    rows = sheet.iter_rows(values_only=True)
    header = [cell_text(v) for v in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        if any(cells[len(header) :]):
            row["__extra__"] = True
        yield number, row


def read_xlsx_rows(data: bytes, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Like :func:`survey_app.formats.csvfile.read_rows`, for the first sheet of a workbook."""
    sheet = open_workbook(data, name).worksheets[0]
    header = [cell_text(v) for v in next(sheet.iter_rows(max_row=1, values_only=True), ())]
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
    yield from sheet_rows(sheet)
