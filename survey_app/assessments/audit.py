"""The audit trail of a unit or a score, as rows for the page and for the CSV export."""

from __future__ import annotations

import csv
import io
import json

from survey_app.formats.safe_cells import safe_cell

COLUMNS = ("when_utc", "who", "action", "subcriterion", "old", "new", "reason")


def describe(values: dict | None, number=None) -> str:
    """``self: 2.5; note: …`` (the sub-criterion has its own column).

    ``number`` writes floats for people (``core.numbers.points`` on the page: ``2,60``);
    without it they stay machine numbers (the CSV: ``2.60333``).
    """
    if not values:
        return ""
    return "; ".join(
        f"{key}: {_plain(value, number)}" for key, value in values.items() if key != "subcriterion"
    )


def _plain(value, number=None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return number(value) if number else f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def audit_rows(entries, number=None) -> list[dict]:
    return [
        {
            "when_utc": e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "who": e.actor,
            "action": e.action,
            "subcriterion": (e.new or e.old or {}).get("subcriterion", ""),
            "old": describe(e.old, number),
            "new": describe(e.new, number),
            "reason": e.reason or "",
        }
        for e in entries
    ]


def audit_csv(entries) -> str:
    """Every text cell that a spreadsheet would run as a formula is written as text.

    CRLF line ends (RFC 4180): the writer then quotes a cell holding a bare CR too.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in audit_rows(entries):
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    return out.getvalue()
