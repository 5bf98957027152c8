"""The respondent path's statements run as the database driver's own SQL.

SQLAlchemy spends more CPU preparing each execution of a Core statement than the driver
spends sending it (about 0.5 ms against 0.1 ms here), and its ORM session costs about as
much again to begin, commit and close a transaction. The link, the form page and the
submit are the hot path of a survey, so their statements are written as Core statements
(from the models' tables) and compiled once per dialect; each request then only fills in
and converts its values the way the column types would, and hands the SQL to a driver
connection: a statement that runs alone (a one-row read, or PostgreSQL's one-statement
submit) in a transaction of its own (:meth:`DriverStatement.run_alone`), the statements
of a submit in one transaction of their own (:func:`driver_transaction`). Either holds a
pool connection only while its statements run. On PostgreSQL a statement that runs alone
is sent in autocommit mode, so the statement is its own transaction: one round trip
instead of three (BEGIN, the statement, COMMIT), with the same atomicity.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager

from survey_app.core import fastpaths, writer_queue
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
        """The first row of one statement run in a transaction of its own (or None): a
        read, or on PostgreSQL the one-statement submit. The pool connection is held for
        the statement only.

        Values are converted by the columns' own types, as a Core result would. If the
        server had closed the pooled connection (a restart, an idle timeout), the
        statement is sent once more on a new one: it cannot have run, as the connection
        was already gone (unless the deadline watchdog cut it mid-statement:
        :mod:`survey_app.core.dbtimeouts`; then the error stands).
        """
        _end_session_transaction()
        engine = db.engine
        if not fastpaths.on("driversql"):
            with engine.begin() as conn:
                return conn.execute(self.statement, _as_core(params)).first()
        dialect = engine.dialect
        alone = dialect.name == "postgresql"
        for attempt in (1, 2):
            pooled = engine.raw_connection()
            driver = pooled.driver_connection
            try:
                if alone:  # its own implicit transaction: no BEGIN and COMMIT round trips
                    dialect.set_isolation_level(pooled.dbapi_connection, "AUTOCOMMIT")
                cursor = driver.cursor()  # the driver's own: no wrapper
                try:
                    row = self.first(cursor, dialect, params)
                finally:
                    cursor.close()
                pooled.commit()  # SQLite's (psycopg has nothing to commit in autocommit)
                return row
            except dialect.dbapi.OperationalError:
                if not _lost(driver):
                    raise
                pooled.invalidate()
                if attempt == 2 or deadlines.was_cut(driver):
                    raise
            finally:
                if alone:
                    _restore_isolation(pooled, dialect)
                pooled.close()  # back to the pool
        raise AssertionError("unreachable")

    def run(self, cursor, dialect, params: dict) -> None:
        """Execute on a driver cursor (see :func:`driver_transaction`)."""
        compiled, values = self._bind(dialect, params)
        arm_driver(dialect, cursor.connection)
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


def _restore_isolation(pooled, dialect) -> None:
    """The pool's default isolation level again (not autocommit) before the connection
    goes back to the pool; a connection where that fails is discarded, never reused."""
    if pooled.dbapi_connection is None:  # invalidated already
        return
    try:
        dialect.reset_isolation_level(pooled.dbapi_connection)
    except dialect.dbapi.Error:
        pooled.invalidate()


def _end_session_transaction() -> None:
    """End the transaction the request's ORM session has open (a read on a cold cache,
    say), so its connection goes back to the pool first: a request never holds one pool
    connection while it waits for another (under a burst every thread would, and none
    would get its second), and on SQLite that transaction could hold the write lock."""
    if db.session.registry.has():
        session = db.session()
        if session.in_transaction():
            session.commit()


def _lost(driver) -> bool:
    """Whether the driver connection is closed (psycopg notices a server that went away
    when it next sends; sqlite3 connections are never lost)."""
    return bool(getattr(driver, "closed", False))


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
    ORM session (whose transaction is ended first). SQLite's begins with ``BEGIN
    IMMEDIATE``, as the engine's own do (see :mod:`survey_app.core.sqlite`), once its
    turn in the writer queue has come (:mod:`survey_app.core.writer_queue`); psycopg
    begins one at the first statement.
    """
    _end_session_transaction()
    engine = db.engine
    with writer_queue.turn(engine):
        if not fastpaths.on("driversql"):
            with engine.connect() as conn:
                tx = _CoreTransaction(conn)
                yield tx
                conn.rollback() if tx.rolled_back else conn.commit()
            return
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
                _end(pooled, dialect, "ROLLBACK", logged)
                raise
            finally:
                cursor.close()
            _end(pooled, dialect, "ROLLBACK" if tx.rolled_back else "COMMIT", logged)
        finally:
            pooled.close()  # back to the pool (which rolls back whatever is left open)


@contextmanager
def session_turn() -> Iterator[None]:
    """For writes made with the ORM session: its open transaction is ended first, and
    on SQLite the block runs in its turn in the writer queue, as a
    :func:`driver_transaction` does; the block must commit or roll back."""
    _end_session_transaction()
    with writer_queue.turn(db.engine):
        yield


class _CoreTransaction:
    """:class:`DriverTransaction` on a Core connection (the fast path switched off)."""

    def __init__(self, conn) -> None:
        self.conn, self.rolled_back = conn, False

    def run(self, statement: DriverStatement, params: dict) -> None:
        self.conn.execute(statement.statement, _as_core(params))

    def first(self, statement: DriverStatement, params: dict):
        return self.conn.execute(statement.statement, _as_core(params)).first()

    def rollback(self) -> None:
        self.rolled_back = True


def _as_core(params: dict) -> dict:
    """Values as Core binds them: JSON given as text (``compact_json``) back to objects."""
    return {
        k: json.loads(v) if k in ("b_answers", "b_attributes") and isinstance(v, str) else v
        for k, v in params.items()
    }


def _end(pooled, dialect, how: str, logged: bool) -> None:
    arm_driver(dialect, pooled.dbapi_connection)
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
