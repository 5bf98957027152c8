"""Cells that a spreadsheet program would run as a formula are written as text."""

from __future__ import annotations

from typing import Any

#: A cell starting with one of these is a formula (or DDE) in Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text starting like a formula gets a leading single quote; other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
