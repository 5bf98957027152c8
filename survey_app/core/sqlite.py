"""SQLite settings that make the embedded default safe for concurrent web workers.

Which transactions take the write lock when they start (``BEGIN IMMEDIATE``) and which
only read (``BEGIN``, deferred, a WAL snapshot that blocks nobody):

- a request that may write (POST, PUT, PATCH, DELETE), the CLI and the workers: IMMEDIATE.
  Two submits of one link then serialise instead of one failing with "database is
  locked" when a read transaction tries to become a write one (in WAL mode that upgrade
  fails at once, SQLITE_BUSY_SNAPSHOT, if another writer committed since the read began);
- a GET, HEAD or OPTIONS request: deferred. A slow page reads from its snapshot while
  sign-ins and submits write. Such requests should not write; if one does, SQLite takes
  the write lock at its first write.

A writing request must not hold its transaction across slow work (reading an uploaded
file): :func:`survey_app.core.transactions.without_transaction` ends it first.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Requests that only read: their transactions never take the write lock up front.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How long (seconds) a writer waits for another's write lock by default
#: (``PARINDEX_DB_BUSY_TIMEOUT``); writes are short once parsing is done outside
#: transactions, so a longer wait means something is stuck (the request answers 503).
BUSY_TIMEOUT_SECONDS = 10


def configure(engine: Engine, busy_seconds: int = BUSY_TIMEOUT_SECONDS) -> None:
    """WAL, a busy timeout, full fsync and enforced foreign keys on every SQLite connection;
    ``BEGIN IMMEDIATE`` or ``BEGIN`` as :func:`begin_statement` says."""
    if engine.dialect.name != "sqlite":
        return
    engine.dialect._parindex_configured = True
    _create_folder(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(begin_statement())


def begin_statement() -> str:
    """``BEGIN`` inside a request that only reads, ``BEGIN IMMEDIATE`` anywhere else."""
    from flask import has_request_context, request

    if has_request_context() and request.method in READ_METHODS:
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def _create_folder(database: str | None) -> None:
    """The database file's folder (by default the instance folder, which
    ``PARINDEX_INSTANCE_PATH`` may name before it exists), private to its owner: SQLite
    creates the file, not the folders above it."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
