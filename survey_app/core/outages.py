"""The database did not answer (down, frozen, out of connections, locked too long):
503 with ``Retry-After`` and a page in the request's language that tells the truth.

Views that can say more (the respondent's submit: "your answers were not stored") catch
:data:`OUTAGE_ERRORS` themselves and answer with :func:`retry_headers`; everything else
gets :func:`outage_page` from the handlers registered here.
"""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from flask import Flask, g, jsonify, render_template, request
from sqlalchemy import exc

from survey_app.i18n import N_

log = logging.getLogger(__name__)

#: Errors that mean "the database is not answering now", not "this request is wrong":
#: connection refused or lost, statement or lock timeout, no pool connection in time,
#: SQLite busy past its timeout. The driver's own classes come from the respondent's
#: statements that run on driver connections (``responses/driversql.py``).
OUTAGE_ERRORS = (
    exc.OperationalError,
    exc.TimeoutError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
)
#: Seconds a client should wait before trying again.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = N_("The service is briefly unavailable; try again in a minute.")
#: A respondent reading it has a link that still works: say so, and nothing of staff pages.
RESPONDENT_UNAVAILABLE = N_(
    "The survey is briefly unavailable. Your link is still valid: open it again in a minute."
)


def retry_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def outage_page(error: Exception):
    """The 503 page (JSON under /api/). Nothing here reads the database: the signed-in
    user is forgotten for this page, as the header would load them again."""
    log.warning("database unavailable on %s: %s", request.endpoint, type(error).__name__)
    forget_session_state()
    if request.path.startswith("/api/"):
        body = jsonify({"error": {"status": 503, "message": "Service briefly unavailable."}})
        return body, 503, retry_headers()
    respondent = request.blueprint == "respond"
    page = render_template(
        "main/error.html",
        title=N_("Service unavailable"),
        message=RESPONDENT_UNAVAILABLE if respondent else UNAVAILABLE,
        home=False,
        respondent=respondent,
    )
    return page, 503, retry_headers()


def forget_session_state() -> None:
    g.user = None
    from survey_app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the connection is gone; the pool replaces it)
        db.session().invalidate()


def init_app(app: Flask) -> None:
    for error in OUTAGE_ERRORS:
        app.register_error_handler(error, outage_page)
