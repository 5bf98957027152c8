"""The respondent path's statements run as the database driver's own SQL.

SQLAlchemy spends more CPU preparing each execution of a Core statement than the driver
spends sending it (about 0.5 ms against 0.1 ms here), and its ORM session costs about as
much again to begin, commit and close a transaction. The link, the form page and the
submit are the hot path of a survey, so their statements are written as Core statements
(from the models' tables) and compiled once per dialect; each request then only fills in
and converts its values the way the column types would, and hands the SQL to a driver
connection: a statement that runs alone (a one-row read, or PostgreSQL's one-statement
submit) outside any transaction (:meth:`DriverStatement.run_alone`), the statements of a
submit in one transaction of their own (:func:`driver_transaction`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import time
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager

from survey_app.core.dbtimeouts import arm_driver, deadlines
from survey_app.extensions import db

#: Where the engine logs its SQL (``echo``, or an admin's logging setup): these statements
#: are logged there too, and never with their parameters (see ``hide_parameters``).
sql_log = logging.getLogger("sqlalchemy.engine.Engine")

#: How SQLAlchemy's SQLite ``DateTime`` stores a timestamp (text, UTC, no offset).
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class DriverStatement:
    """A Core statement compiled once per dialect, executed with ``exec_driver_sql``."""

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict[str, object] = {}
        self._readers: dict[str, tuple] = {}

    def _bind(self, dialect, params: dict):
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self.statement.compile(dialect=dialect)
        full = compiled.construct_params(params)
        values = {k: _adapt(v, dialect.name) for k, v in full.items()}
        if compiled.positiontup:  # SQLite's qmark style
            values = tuple(values[name] for name in compiled.positiontup)
        return compiled, values

    def run_alone(self, params: dict):
        """The first row of one statement run on its own, outside any transaction (or
        None): a read, or on PostgreSQL a statement that is its own transaction.

        A request that only reads one row needs no transaction: in one, PostgreSQL costs
        a BEGIN and a ROLLBACK round trip more, and SQLite's ``BEGIN IMMEDIATE`` (see
        :mod:`survey_app.core.sqlite`) would queue the read behind every writer. Values
        are converted by the columns' own types, as a Core result would. On PostgreSQL
        the statement runs on this thread's own autocommit connection (see
        :class:`_Autocommit`); on SQLite on a connection borrowed from the pool.
        """
        engine = db.engine
        dialect = engine.dialect
        if dialect.name == "postgresql":
            return _autocommit.run(engine, lambda cursor: self.first(cursor, dialect, params))
        pooled = engine.raw_connection()
        try:
            cursor = pooled.driver_connection.cursor()  # the driver's own: no wrapper
            row = self.first(cursor, dialect, params)
            cursor.close()
        finally:
            pooled.close()  # back to the pool
        return row

    def run(self, cursor, dialect, params: dict) -> None:
        """Execute on a driver cursor (see :func:`driver_transaction`)."""
        compiled, values = self._bind(dialect, params)
        arm_driver(db.engine, cursor.connection)
        if sql_log.isEnabledFor(logging.INFO):
            sql_log.info("%s\n[driver SQL] [SQL parameters hidden]", compiled.string)
        cursor.execute(compiled.string, values)

    def first(self, cursor, dialect, params: dict):
        """Execute on a driver cursor; the first row it returns (or None), its values
        converted by the columns' own types, as a Core result would."""
        self.run(cursor, dialect, params)
        row = cursor.fetchone()
        if row is None:
            return None
        make, processors = self._reader(dialect)
        return make(*(v if p is None else p(v) for p, v in zip(processors, row, strict=True)))

    def _reader(self, dialect) -> tuple:
        reader = self._readers.get(dialect.name)
        if reader is None:
            columns = self.statement.exported_columns  # selected, or RETURNING
            make = namedtuple("Row", list(columns.keys()))  # noqa: PYI024 (rows are tuples)
            processors = [
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ]
            reader = self._readers[dialect.name] = (make, processors)
        return reader


class _Held:
    """A thread's autocommit connection; closed when the thread's locals go with it."""

    def __init__(self, engine) -> None:
        self.engine, self.since = engine, time.monotonic()
        pooled = engine.raw_connection()
        self.driver = pooled.driver_connection
        pooled.detach()  # never back to the pool in autocommit mode
        self.driver.autocommit = True

    def close(self) -> None:
        """Close the driver connection itself: it holds no transaction to roll back,
        and at interpreter exit the pool's reset could no longer run."""
        self.driver.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, say
            self.close()


class _Autocommit(threading.local):
    """Each thread's own PostgreSQL connection, in autocommit, for statements that run
    alone (the link's and the form page's reads, the one-statement submit).

    Borrowing a pool connection and switching it to autocommit and back cost about a
    third as much CPU as the statement itself. The connection is taken from the engine's
    pool and detached from it (the pool opens another when it needs one), so it never
    returns to the pool in autocommit mode. It is replaced after ``pool_recycle``
    seconds, when the app's engine changes, and when the server has closed it; in that
    last case the statement is sent once more on a new connection: it cannot have run,
    as the connection was already gone. It is closed when its thread ends.
    """

    held: _Held | None = None

    def run(self, engine, use):
        for attempt in (1, 2):
            driver = self._connection(engine)
            try:
                cursor = driver.cursor()
                try:
                    return use(cursor)
                finally:
                    cursor.close()
            except engine.dialect.dbapi.OperationalError:
                if not driver.closed or attempt == 2 or deadlines.was_cut(driver):
                    raise
        raise AssertionError("unreachable")

    @property
    def driver(self):
        return self.held.driver if self.held is not None else None

    def _connection(self, engine):
        held = self.held
        if held is not None:
            recycle = engine.pool._recycle
            stale = recycle > -1 and time.monotonic() - held.since > recycle
            if held.engine is engine and not stale and not held.driver.closed:
                return held.driver
            self.held = None
            held.close()
        self.held = _Held(engine)
        return self.held.driver


_autocommit = _Autocommit()


class DriverTransaction:
    """The statements of one :func:`driver_transaction`. It commits when the block ends,
    unless :meth:`rollback` was called or an exception left the block."""

    def __init__(self, cursor, dialect) -> None:
        self.cursor, self.dialect = cursor, dialect
        self.rolled_back = False

    def run(self, statement: DriverStatement, params: dict) -> None:
        statement.run(self.cursor, self.dialect, params)

    def first(self, statement: DriverStatement, params: dict):
        return statement.first(self.cursor, self.dialect, params)

    def rollback(self) -> None:
        self.rolled_back = True


@contextmanager
def driver_transaction() -> Iterator[DriverTransaction]:
    """One short transaction on a driver connection from the engine's pool, outside the
    ORM session. SQLite's begins with ``BEGIN IMMEDIATE``, as the engine's own do (see
    :mod:`survey_app.core.sqlite`); psycopg begins one at the first statement.

    A transaction that the request's ORM session has open (a read on a cold cache, say)
    is ended first: on SQLite it holds the write lock this one needs.
    """
    if db.session.registry.has():
        session = db.session()
        if session.in_transaction():
            session.commit()
    engine = db.engine
    dialect = engine.dialect
    logged = sql_log.isEnabledFor(logging.INFO)
    pooled = engine.raw_connection()
    try:
        cursor = pooled.cursor()
        try:
            if logged:
                sql_log.info("BEGIN (driver SQL)")
            if dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            tx = DriverTransaction(cursor, dialect)
            yield tx
        except BaseException:
            _end(pooled, "ROLLBACK", logged)
            raise
        finally:
            cursor.close()
        _end(pooled, "ROLLBACK" if tx.rolled_back else "COMMIT", logged)
    finally:
        pooled.close()  # back to the pool (which rolls back whatever is left open)


def _end(pooled, how: str, logged: bool) -> None:
    arm_driver(db.engine, pooled.dbapi_connection)
    if logged:
        sql_log.info("%s (driver SQL)", how)
    pooled.commit() if how == "COMMIT" else pooled.rollback()


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
