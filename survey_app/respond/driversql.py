"""The submit's statements run as the database driver's own SQL.

SQLAlchemy spends more CPU preparing each execution of a Core statement than the driver
spends sending it (about 0.5 ms against 0.1 ms here). The submit is the hot path of a
survey, so its statements are written as Core statements (from the models' tables) and
compiled once per dialect; each request then only fills in and converts its values the
way the column types would, and hands the SQL to the driver in the session's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple

from survey_app.extensions import db

#: How SQLAlchemy's SQLite ``DateTime`` stores a timestamp (text, UTC, no offset).
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class DriverStatement:
    """A Core statement compiled once per dialect, executed with ``exec_driver_sql``."""

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict[str, object] = {}
        self._readers: dict[str, tuple] = {}

    def execute(self, params: dict):
        conn = db.session.connection()
        compiled, values = self._bind(conn.dialect, params)
        return conn.exec_driver_sql(compiled.string, values)

    def _bind(self, dialect, params: dict):
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self.statement.compile(dialect=dialect)
        full = compiled.construct_params(params)
        values = {k: _adapt(v, dialect.name) for k, v in full.items()}
        if compiled.positiontup:  # SQLite's qmark style
            values = tuple(values[name] for name in compiled.positiontup)
        return compiled, values

    def read_one(self, params: dict):
        """The first row of a SELECT, read outside any transaction (or None).

        A request that only reads one row needs no transaction: in one, PostgreSQL costs
        a BEGIN and a ROLLBACK round trip more, and SQLite's ``BEGIN IMMEDIATE`` (see
        :mod:`survey_app.core.sqlite`) would queue the read behind every writer. The
        driver connection is borrowed from the pool in autocommit mode and its values
        are converted by the columns' own types, as a Core result would.
        """
        engine = db.engine
        dialect = engine.dialect
        compiled, values = self._bind(dialect, params)
        reader = self._readers.get(dialect.name)
        if reader is None:
            columns = self.statement.selected_columns
            make = namedtuple("Row", list(columns.keys()))  # noqa: PYI024 (rows are tuples)
            processors = [
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ]
            reader = self._readers[dialect.name] = (make, processors)
        make, processors = reader
        pooled = engine.raw_connection()
        try:
            driver = pooled.driver_connection
            postgres = dialect.name == "postgresql"
            if postgres:
                driver.autocommit = True
            try:
                cursor = pooled.cursor()
                cursor.execute(compiled.string, values)
                row = cursor.fetchone()
                cursor.close()
            finally:
                if postgres:
                    driver.autocommit = False
        finally:
            pooled.close()  # back to the pool
        if row is None:
            return None
        return make(*(v if p is None else p(v) for p, v in zip(processors, row, strict=True)))


def _adapt(value, dialect: str):
    """What the column types would send: JSON as text; SQLite dates and times as text."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if dialect == "sqlite":
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime(_SQLITE_DATETIME)
        if isinstance(value, dt.date):
            return value.isoformat()
    return value


def compact_json(value) -> str:
    """JSON text with sorted keys and no spaces: the same answers give the same text."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loaded(value):
    """A JSON column as read back: psycopg parses it, sqlite3 returns the text."""
    return json.loads(value) if isinstance(value, str) else value
