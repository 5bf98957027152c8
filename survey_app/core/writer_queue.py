"""SQLite: the respondents' write transactions queue for the write lock on a file lock.

SQLite lets one writer in at a time. A writer that finds the lock taken sleeps in
SQLite's busy handler (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms, …) and tries
again; when submits arrive faster than one every few milliseconds, a sleeper wakes to a
lock that another has just taken, again and again, and its submit takes hundreds of
milliseconds while the others take a few (``bench/load_submit.py --db sqlite``: p99 345–
440 ms). Here each of :func:`survey_app.responses.driversql.driver_transaction`'s
transactions first takes an exclusive ``flock`` on ``<database>-writers``: a waiter
sleeps in the kernel and wakes as soon as the holder lets go, so SQLite's lock is free
when it asks (p95 47–79 ms and p99 54–103 ms against 90–115 and 235–440 ms, for 5–20%
fewer flows: each handover wakes a sleeper; docs/SECURITY.md has the tables).

- Only these transactions queue. Other writers (a staff page, the worker, the CLI) take
  SQLite's lock directly with its busy handler, as before: the queue orders, SQLite's
  lock still decides.
- The kernel drops a lock whose holder dies, so no lock outlives its process.
- Waiting is bounded like SQLite's own (``DB_BUSY_TIMEOUT``): when the lock is taken,
  a thread asks for it, and a request that has waited too long gives up with SQLite's
  own "database is locked" error (the outage answer, 503). A lock the thread gets after
  that is let go at once.
- The file holds no data; it may be deleted while the service is stopped.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as WaitedTooLong
from contextlib import contextmanager, nullcontext

from flask import current_app
from sqlalchemy.engine import Engine

from survey_app.core import fastpaths
from survey_app.core.sqlite import BUSY_TIMEOUT_SECONDS


def lock_path(database: str) -> str:
    return database + "-writers"


def turn(engine: Engine):
    """The queue's turn for a transaction on ``engine`` (SQLite's only), waiting at most
    ``DB_BUSY_TIMEOUT`` seconds."""
    if engine.dialect.name != "sqlite" or not fastpaths.on("writer_queue"):
        return nullcontext()
    timeout = current_app.config.get("DB_BUSY_TIMEOUT", BUSY_TIMEOUT_SECONDS)
    return queued(engine.url.database, timeout)


@contextmanager
def queued(database: str | None, timeout: float) -> Iterator[None]:
    """Hold the writer queue's lock of the SQLite file ``database`` for the block
    (nothing for an in-memory database). Raises :class:`sqlite3.OperationalError` after
    ``timeout`` seconds of waiting."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock = open(lock_path(database), "ab")  # noqa: SIM115 (closed below, or by the waiter)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _wait(lock, timeout)
    try:
        yield
    finally:
        lock.close()  # closing the file lets go of its lock


def _wait(lock, timeout: float) -> None:
    """Block on the lock in a thread of its own for at most ``timeout`` seconds (the
    kernel's wait has no timeout). One thread per wait, not a pool: a pool's idle
    threads do not survive a fork (gunicorn's, or a test's), its bookkeeping does."""
    waiting: Future = Future()

    def wait() -> None:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except BaseException as error:  # noqa: BLE001 (handed to the waiting request)
            waiting.set_exception(error)
        else:
            waiting.set_result(None)

    threading.Thread(target=wait, name="sqlite-writer-queue", daemon=True).start()
    try:
        waiting.result(timeout)
    except BaseException as error:
        # closed (the lock let go) once the thread has it; at once if it has
        waiting.add_done_callback(lambda _: lock.close())
        if isinstance(error, WaitedTooLong):
            raise sqlite3.OperationalError("database is locked (writer queue)") from None
        raise
