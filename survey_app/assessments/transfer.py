"""Self-assessments as files: the documented CSV, the XLSX template, and reading uploads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from survey_app.assessments.queries import list_sheet
from survey_app.formats.limits import decode_text
from survey_app.formats.problems import InvalidFile, Problem
from survey_app.formats.safe_cells import safe_cell
from survey_app.formats.xlsxfile import bounded_values, open_workbook

CSV_COLUMNS = ("unit", "subcriterion", "self_points", "appraised_points", "note")
XLSX_COLUMNS = (
    "unit", "subcriterion", "name", "max_points",
    "self_points", "appraised_points", "difference", "state", "note",
)  # fmt: skip
SHEET_NAME = "self_assessment"
#: More rows than any criteria set has; a bigger sheet is refused rather than read.
MAX_ROWS = 20_000
_INSTRUCTIONS = (
    "Điền cột self_points (điểm tự đánh giá, tối đa 2 chữ số thập phân, không vượt max_points) "
    "và note; không sửa các cột unit, subcriterion.",
    "Fill in self_points (at most two decimals, not above max_points) and note; "
    "leave unit and subcriterion as they are.",
    "Cột difference = appraised_points − self_points "
    "(chênh lệch: thẩm định − tự đánh giá; chỉ để xem, không được đọc khi nhập).",
    "Column difference = appraised_points − self_points (appraised − self; "
    "shown only, not read on import).",
)


def records(rnd, units, lang: str) -> list[dict]:
    """One record per unit and self sub-criterion, in the criteria set's order."""
    out = []
    for unit in units:
        for row in list_sheet(rnd, unit):
            sa = row.sa
            out.append(
                {
                    "unit": unit.code,
                    "subcriterion": row.sub.code,
                    "name": row.sub.name_en if lang == "en" else row.sub.name_vi,
                    "max_points": row.sub.max_points,
                    "self_points": sa.self_points if sa else None,
                    "appraised_points": sa.appraised_points if sa else None,
                    "difference": row.difference,
                    "state": sa.state if sa else "",
                    "note": (sa.note if sa else None) or "",
                }
            )
    return out


def to_csv(rows: list[dict], columns=CSV_COLUMNS) -> str:
    """The documented layout; CRLF line ends, so a note holding a bare CR is quoted too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row[c]) for c in columns])
    return out.getvalue()


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return safe_cell(str(value))


def to_xlsx(rows: list[dict]) -> bytes:
    """The template ministries fill in (also the export: the same sheet, filled)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(XLSX_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for col, key in enumerate(XLSX_COLUMNS, start=1):
            _text_cell(ws.cell(row=number, column=col, value=row[key]))
    ws.freeze_panes = "A2"
    ws.column_dimensions["C"].width = 60
    help_sheet = wb.create_sheet("instructions")
    for line in _INSTRUCTIONS:
        help_sheet.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text_cell(cell) -> None:
    """Text is stored as text, never as a formula, whatever it starts with."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def upload_text(filename: str, data: bytes) -> str:
    """CSV text of an uploaded CSV or XLSX file; anything else is a problem."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return decode_text(data, filename)
    if suffix == ".xlsx":
        return _xlsx_text(filename, data)
    raise _invalid(filename, "file", "use a .csv or .xlsx file")


def _invalid(name: str, where: str, message: str) -> InvalidFile:
    return InvalidFile(name, [Problem(where, message)])


def _xlsx_text(name: str, data: bytes) -> str:
    """The named sheet (else the first) as CSV text; the workbook is bounded (formats.xlsxfile)."""
    wb = open_workbook(data, name)
    ws = wb[SHEET_NAME] if SHEET_NAME in wb.sheetnames else wb.worksheets[0]
    rows = []
    for number, values in bounded_values(ws, name):
        if number > MAX_ROWS:
            raise _invalid(name, f"row {number}", f"more than {MAX_ROWS} rows")
        rows.append([_xlsx_value(v) for v in values])
    wb.close()
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # spreadsheets keep formatted but empty rows at the end
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _xlsx_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
