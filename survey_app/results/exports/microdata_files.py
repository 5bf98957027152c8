"""Microdata written as CSV, XLSX, SPSS ``.sav`` and Stata ``.dta`` (labels, weights, design)."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable

import pandas as pd
import pyreadstat
from openpyxl import Workbook
from openpyxl.styles import Font

from survey_app.results.exports.cells import csv_bytes, set_cell
from survey_app.results.exports.microdata import DESIGN, Microdata


def microdata_bytes(data: Microdata, fmt: str) -> bytes:
    writers: dict[str, Callable[[Microdata], bytes]] = {
        "csv": _csv,
        "xlsx": _xlsx,
        "sav": _sav,
        "dta": _dta,
    }
    return writers[fmt](data)


def _cells(frame: pd.DataFrame) -> list[list]:
    return [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]


def _csv(data: Microdata) -> bytes:
    return csv_bytes(list(data.frame.columns), _cells(data.frame))


def _xlsx(data: Microdata) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    _rows(ws, list(data.frame.columns), _cells(data.frame))
    ws.freeze_panes = "A2"
    labels = [[name, data.variable_labels.get(name, "")] for name in data.frame.columns]
    _rows(wb.create_sheet("variables"), ["variable", "label"], labels)
    values = [
        [item, value, label, value in data.missing_values.get(item, [])]
        for item, levels in data.value_labels.items()
        for value, label in levels.items()
    ]
    _rows(wb.create_sheet("value_labels"), ["variable", "value", "label", "missing"], values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(ws, header: list[str], rows: list[list]) -> None:
    for j, name in enumerate(header, start=1):
        set_cell(ws.cell(1, j), name)
        ws.cell(1, j).font = Font(bold=True)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            set_cell(ws.cell(i, j), value)


def safe_names(columns: list[str], limit: int = 32) -> dict[str, str]:
    """Column → a valid SPSS/Stata name (letter first, letters/digits/_ only), unique."""
    out: dict[str, str] = {}
    for col in columns:
        name = re.sub(r"\W", "_", col, flags=re.ASCII)
        name = (name if name[:1].isalpha() else f"v{name}")[:limit]
        base, n = name, 2
        while name.lower() in {v.lower() for v in out.values()}:
            name, n = f"{base[: limit - 3]}_{n}", n + 1
        out[col] = name
    return out


def _stat_frame(data: Microdata) -> tuple[pd.DataFrame, dict[str, str]]:
    """Strings without missing values, items as doubles with NaN, and renamed columns."""
    frame = data.frame.copy()
    for col in [*DESIGN[:-1], *data.attributes, *data.texts]:
        frame[col] = frame[col].map(lambda v: "" if v is None or pd.isna(v) else str(v))
    for item in data.items:
        frame[item] = frame[item].astype("float64")
    names = safe_names(list(frame.columns))
    return frame.rename(columns=names), names


def _via_file(write: Callable[[str], None]) -> bytes:
    fd, path = tempfile.mkstemp(suffix=".stat")
    os.close(fd)
    try:
        write(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def _sav(data: Microdata) -> bytes:
    frame, names = _stat_frame(data)
    measure = {names[c]: "nominal" for c in [*DESIGN[:-1], *data.attributes]}
    measure |= {names["weight"]: "scale"}
    measure |= {names[c]: m for c, m in data.measures.items()}
    return _via_file(
        lambda path: pyreadstat.write_sav(
            frame,
            path,
            column_labels={names[c]: label for c, label in data.variable_labels.items()},
            variable_value_labels={names[i]: v for i, v in data.value_labels.items()},
            missing_ranges={names[i]: v for i, v in data.missing_values.items() if v},
            variable_measure=measure,
        )
    )


def _dta(data: Microdata) -> bytes:
    frame, names = _stat_frame(data)
    return _via_file(
        lambda path: pyreadstat.write_dta(
            frame,
            path,
            column_labels={names[c]: label[:80] for c, label in data.variable_labels.items()},
            variable_value_labels={names[i]: v for i, v in data.value_labels.items()},
        )
    )
