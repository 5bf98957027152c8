"""The audit trail of a unit or a score, as rows for the page and for the CSV export.

The CSV keeps the machine form (``self: 2.5; state: final``); the page says the same in
the reader's language, with names instead of keys and numbers in the locale's format.
"""

from __future__ import annotations

import csv
import io
import json

from babel.numbers import format_decimal

from survey_app.formats.safe_cells import safe_cell
from survey_app.i18n import N_, gettext, pgettext

COLUMNS = ("when_utc", "who", "action", "subcriterion", "old", "new", "reason")
#: The stored reason of a score imported with its appraised points (English in the database).
IMPORT_REASON = N_("imported from file")
#: What each key of an entry's values is called on the page.
LABELS = {
    "round": N_("appraisal round"),
    "self": N_("self-assessed points"),
    "appraised": N_("appraised points"),
    "state": N_("state"),
    "note": N_("note"),
    "text": N_("explanation"),
    "bonus": N_("bonus points"),
    "penalty": N_("penalty points"),
    "self_deadline_at": N_("self-assessment deadline"),
    "file": N_("file"),
    "evidence_id": N_("evidence no."),
    "bytes": N_("bytes"),
}


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


def state_name(state: str, lang: str) -> str:
    """An assessment state's name ("final": concluded, not a run's "final")."""
    if state == "final":
        return pgettext("assessment state", "final", lang)
    return gettext(state, lang)


def reason_text(reason: str | None, lang: str) -> str:
    """A reason as typed, or the system's own reason in the reader's language."""
    if reason == IMPORT_REASON:
        return gettext(IMPORT_REASON, lang)
    return reason or ""


def _shown(key: str, value, lang: str) -> str:
    if value is None:
        return "—"
    if key == "state" and isinstance(value, str):
        return state_name(value, lang)
    if isinstance(value, bool):
        return gettext("yes", lang) if value else gettext("no", lang)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.00", locale=lang)
    if isinstance(value, int):
        return format_decimal(value, locale=lang)
    return _plain(value)


def describe_for(values: dict | None, lang: str) -> str:
    """``điểm tự đánh giá: 2,85; trạng thái: đã kết luận`` in ``lang``."""
    if not values:
        return ""
    return "; ".join(
        f"{gettext(LABELS[key], lang) if key in LABELS else key}: {_shown(key, value, lang)}"
        for key, value in values.items()
        if key != "subcriterion"
    )


def audit_rows(entries, lang: str | None = None) -> list[dict]:
    """Rows in machine form (the CSV), or in words of ``lang`` (the page)."""
    show = (lambda v: describe_for(v, lang)) if lang else describe
    return [
        {
            "when_utc": e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "at": e.created_at,  # the page shows it in the ministry's time
            "who": gettext("system", lang) if lang and e.actor == "system" else e.actor,
            "action": e.action,
            "subcriterion": (e.new or e.old or {}).get("subcriterion", ""),
            "old": show(e.old),
            "new": show(e.new),
            "reason": reason_text(e.reason, lang) if lang else e.reason or "",
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
