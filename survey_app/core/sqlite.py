"""SQLite settings that make the embedded default safe for concurrent web workers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure(engine: Engine) -> None:
    """WAL, a busy timeout, full fsync and enforced foreign keys on every SQLite connection.

    ``BEGIN IMMEDIATE`` takes the write lock when a transaction starts, so two submits of
    one link serialise instead of failing with "database is locked" at commit.
    """
    if engine.dialect.name != "sqlite":
        return
    engine.dialect._parindex_configured = True
    _create_folder(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _create_folder(database: str | None) -> None:
    """The database file's folder (by default the instance folder, which
    ``PARINDEX_INSTANCE_PATH`` may name before it exists), private to its owner: SQLite
    creates the file, not the folders above it."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
