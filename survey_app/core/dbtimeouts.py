"""Bounds on waiting for the database, so an outage answers 503 in seconds, not never.

- Connecting: ``connect_timeout`` (``DB_CONNECT_TIMEOUT``; psycopg waits at least 2 s).
- A statement on a server that answers: PostgreSQL's own ``statement_timeout``
  (``DB_STATEMENT_TIMEOUT``), sent when the connection opens.
- A statement on a server that does not answer at all (frozen, or a network that drops
  packets without a reset): the server cannot cancel anything then, and TCP keeps the
  socket open, so :class:`Deadlines` does it from here. Every statement, commit and
  rollback arms a deadline on its connection; a watchdog thread shuts the socket of a
  connection that is still busy (libpq says a command is in progress) past its
  deadline. The driver then raises ``OperationalError`` (connection lost), SQLAlchemy
  discards the connection, and the request answers 503 (:mod:`survey_app.core.outages`).
- SQLite: ``busy_timeout`` (``DB_BUSY_TIMEOUT``) bounds waiting for another writer
  (:mod:`survey_app.core.sqlite`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

#: What the watchdog adds to the statement timeout before it cuts a silent connection:
#: a server that answers cancels the statement itself first, with a clearer error.
GRACE_SECONDS = 0.5
#: How often the watchdog looks at armed connections.
TICK_SECONDS = 0.1


def engine_options(config: dict) -> dict:
    """SQLAlchemy engine options for the configured database and timeouts."""
    options = {
        # hide_parameters: no token hash, answer or address in SQL logs or error messages.
        # No pool_pre_ping (a round trip per request): connections are recycled instead,
        # and a connection the server dropped fails one request, which stores nothing
        # (its transaction never commits) and invalidates the pool.
        "pool_recycle": 1800,
        "hide_parameters": True,
    }
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": config["DB_CONNECT_TIMEOUT"]}
        statement_ms = config["DB_STATEMENT_TIMEOUT"] * 1000
        if statement_ms:
            connect_args["options"] = f"-c statement_timeout={statement_ms}"
        options["connect_args"] = connect_args
    return options


def configure(engine: Engine, statement_seconds: float) -> None:
    """Arm a deadline of ``statement_seconds`` (plus grace) on every PostgreSQL statement,
    commit and rollback of ``engine`` (none when 0)."""
    if engine.dialect.name != "postgresql" or not statement_seconds:
        return
    seconds = statement_seconds + GRACE_SECONDS

    def arm(conn, *_args):
        if conn.invalidated:  # lost (cut): the rollback that follows sends nothing
            return
        deadlines.arm(conn.connection.dbapi_connection, seconds)

    def arm_pooled(dbapi_connection, *_args):
        deadlines.arm(dbapi_connection, seconds)

    event.listen(engine, "before_cursor_execute", arm)
    event.listen(engine, "commit", arm)
    event.listen(engine, "rollback", arm)
    event.listen(engine.pool, "reset", arm_pooled)  # the pool's rollback on check-in
    engine.dialect._parindex_deadline = seconds  # for statements run on driver connections


def arm_driver(dialect, dbapi_connection) -> None:
    """Arm the deadline of a statement sent on a driver connection (no engine events),
    given the engine's ``dialect``."""
    seconds = getattr(dialect, "_parindex_deadline", None)
    if seconds:
        deadlines.arm(dbapi_connection, seconds)


class Deadlines:
    """Per process: connection → (deadline, connection); one watchdog thread."""

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, object, int]] = {}
        self._pid: int | None = None
        self._start = threading.Lock()
        self._cut: set[int] = set()
        self._cut_threads: set[int] = set()

    def arm(self, dbapi_connection, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self._armed[id(dbapi_connection)] = (deadline, dbapi_connection, threading.get_ident())
        if self._pid != os.getpid():  # first use in this process (gunicorn forks)
            self._start_watchdog()

    def _start_watchdog(self) -> None:
        with self._start:
            if self._pid == os.getpid():
                return
            threading.Thread(target=self._watch, name="db-deadlines", daemon=True).start()
            self._pid = os.getpid()

    def _watch(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            now = time.monotonic()
            for key, (deadline, conn, thread) in list(self._armed.items()):
                if deadline > now:
                    continue
                if self._armed.get(key, (None,))[0] == deadline:
                    self._armed.pop(key, None)
                if _busy(conn):
                    self._cut.add(id(conn))
                    self._cut_threads.add(thread)
                    _cut(conn)

    def was_cut(self, dbapi_connection) -> bool:
        """Whether the watchdog cut this connection (its statement may have run)."""
        return id(dbapi_connection) in self._cut

    def cut_here(self) -> bool:
        """Whether a statement of this thread was cut since it last asked: a write sent
        may then have run (the server executes what it received once it wakes)."""
        ident = threading.get_ident()
        if ident in self._cut_threads:
            self._cut_threads.discard(ident)
            return True
        return False


def _busy(conn) -> bool:
    """Whether libpq is waiting for the server's answer to a command on ``conn``."""
    try:
        from psycopg.pq import TransactionStatus

        return not conn.closed and conn.pgconn.transaction_status == TransactionStatus.ACTIVE
    except Exception:  # noqa: BLE001 (closed meanwhile)
        return False


def _cut(conn) -> None:
    """Shut the connection's socket: the driver's wait ends with a lost connection."""
    with contextlib.suppress(OSError, ValueError):
        sock = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()  # the duplicate only; the driver closes its own


deadlines = Deadlines()
