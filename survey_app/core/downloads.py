"""Files the browser saves rather than shows: one content type, a safe name, and for CSV
the UTF-8 byte-order mark without which Excel garbles Vietnamese."""

from __future__ import annotations

from flask import Response

CSV_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


def attachment(
    body: bytes | str, content_type: str, filename: str, *, private: bool = False
) -> Response:
    """``filename`` is built from codes, never from user input. ``content_type`` is sent
    as given (``mimetype=`` would append a second charset)."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def csv_attachment(text: str | bytes, filename: str, *, private: bool = False) -> Response:
    """A CSV file, with the byte-order mark added where the writer did not."""
    if isinstance(text, str):
        text = (text if text.startswith(BOM) else BOM + text).encode("utf-8")
    elif not text.startswith(BOM.encode("utf-8")):
        text = BOM.encode("utf-8") + text
    return attachment(text, CSV_TYPE, filename, private=private)
