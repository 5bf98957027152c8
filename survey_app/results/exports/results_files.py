"""The ranking and the scorecards of a run as CSV and as a formatted XLSX workbook."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from survey_app.core.db import utcnow
from survey_app.i18n import gettext
from survey_app.results.access import Shown
from survey_app.results.announcement import announcement
from survey_app.results.exports import sheets
from survey_app.results.exports.cells import csv_bytes, set_cell
from survey_app.results.presentation import flag_label, group_name, kind_name, source_name
from survey_app.results.tables import KindBlock, Scorecard, ranking, scorecards

HEADER_ROW = 5
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B5CAD")
THIN = Side(style="thin", color="D0D0D0")
FORMATS = {"num": "0.00", "int": "0"}


@dataclass(frozen=True)
class ResultsExport:
    """The shown run of a round, its kinds in rank order and every unit's scorecard."""

    shown: Shown
    blocks: list[KindBlock]
    cards: list[Scorecard]


def results_export(shown: Shown) -> ResultsExport:
    run = shown.run
    return ResultsExport(shown, ranking(run), scorecards(run, shown.round, public=shown.is_public))


def ranking_csv(export: ResultsExport) -> bytes:
    columns = sheets.unit_columns(export.blocks)
    rows = [row for block in export.blocks for row in sheets.unit_rows(block)]
    return csv_bytes([c.key for c in columns], sheets.values(columns, rows))


def scorecards_csv(export: ResultsExport) -> bytes:
    groups = sheets.group_codes(export.cards)
    columns = sheets.sub_columns(groups)
    rows = sheets.sub_rows(export.cards, groups)
    return csv_bytes([c.key for c in columns], sheets.values(columns, rows))


def results_xlsx(export: ResultsExport, lang: str) -> bytes:
    wb = Workbook()
    _summary_sheet(wb.active, export, lang)
    used = {wb.active.title}
    columns = sheets.unit_columns(export.blocks)
    for block in export.blocks:
        ws = wb.create_sheet(_sheet_title(kind_name(block.kind, lang), used))
        _table(ws, export, lang, columns, sheets.unit_rows(block))
    groups = sheets.group_codes(export.cards)
    ws = wb.create_sheet(_sheet_title(gettext("Scorecards", lang), used))
    _table(ws, export, lang, sheets.sub_columns(groups), sheets.sub_rows(export.cards, groups))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:28].strip() or "Sheet"
    title, n = base, 2
    while title in used:
        title, n = f"{base} {n}", n + 1
    used.add(title)
    return title


def _titles(ws: Worksheet, export: ResultsExport, lang: str) -> None:
    rnd, run = export.shown.round, export.shown.run
    status = (
        gettext("published on {date}", lang, date=rnd.published_at.strftime("%Y-%m-%d"))
        if run.is_published and rnd.published_at
        else gettext("final, not yet published", lang)
        if run.is_final
        else gettext("provisional", lang)
    )
    set_cell(ws.cell(1, 1), rnd.name)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    set_cell(
        ws.cell(2, 1),
        gettext(
            "Run {version} ({status}); inputs {hash}",
            lang,
            version=run.version,
            status=status,
            hash=(run.inputs_hash or "")[:16],
        ),
    )
    set_cell(
        ws.cell(3, 1),
        gettext(
            "Exported on {date} by ParIndex {code}",
            lang,
            date=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
            code=run.code_version,
        ),
    )


def _table(ws: Worksheet, export, lang: str, columns: list, rows: list[dict]) -> None:
    _titles(ws, export, lang)
    for j, col in enumerate(columns, start=1):
        params = dict(col.params)
        if "group" in params:
            params["group"] = group_name(params["group"], lang)
        cell = ws.cell(HEADER_ROW, j)
        set_cell(cell, gettext(col.title, lang, **params))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    kinds = {b.kind.code: kind_name(b.kind, lang) for b in export.blocks}
    for i, row in enumerate(sheets.values(columns, rows), start=HEADER_ROW + 1):
        for j, (col, value) in enumerate(zip(columns, row, strict=True), start=1):
            set_cell(ws.cell(i, j), _shown(col.key, value, lang, kinds), FORMATS.get(col.type))
            ws.cell(i, j).border = Border(bottom=THIN)
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    last = f"{get_column_letter(len(columns))}{HEADER_ROW + max(len(rows), 1)}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _shown(key: str, value, lang: str, kinds: dict[str, str]):
    """Codes in a workbook for people are shown by their names (the CSV keeps the codes)."""
    if key == "kind":
        return kinds.get(value, value)
    if key == "source" and value:
        return source_name(value, lang)
    if key == "flags" and value:
        return "; ".join(flag_label(f, lang) for f in value.split("; "))
    return value


def _summary_sheet(ws: Worksheet, export: ResultsExport, lang: str) -> None:
    ws.title = gettext("Summary", lang)
    _titles(ws, export, lang)
    ws.column_dimensions["A"].width = 120
    row = HEADER_ROW
    for block in export.blocks:
        set_cell(ws.cell(row, 1), kind_name(block.kind, lang))
        ws.cell(row, 1).font = Font(bold=True, size=12)
        set_cell(ws.cell(row + 1, 1), " ".join(announcement(block, lang)))
        ws.cell(row + 1, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row + 1].height = 75
        row += 3
