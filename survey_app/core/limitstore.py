"""Rate-limit counters that every worker process of a machine shares, without Redis.

Two storages for the ``limits`` library (the counters behind Flask-Limiter), both for
its fixed-window strategy:

* :class:`SQLiteStorage` (``parindex-sqlite:///PATH``): counters in a SQLite file in the
  instance folder. It is the store of the embedded mode, and the fallback below.
* :class:`FallbackStorage` (``parindex-fallback://``): Redis, and while Redis does not
  answer, the SQLite file. Redis is tried again at most :data:`RECHECK_SECONDS` after a
  failure, so counting returns to Redis within about a second of it answering again.

``limits`` ships no file-backed storage (memory, Redis, Memcached, MongoDB only), and its
and Flask-Limiter's memory fallbacks are per process: under ``gunicorn -w 4`` an address
got four allowances (issue 15 item 5, issue 17 item 5).
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits.storage import RedisStorage, Storage, storage_from_string

log = logging.getLogger(__name__)

#: The counters' file in the instance folder (embedded mode, and Redis's fallback).
COUNTERS_FILE = "ratelimits.sqlite"
#: After Redis failed, how long (seconds) each process counts in SQLite before trying
#: Redis again.
RECHECK_SECONDS = 1.0
#: How long a process waits for Redis before counting in SQLite (connect and reply).
REDIS_TIMEOUT_SECONDS = 0.5

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"
)
_INCR = (
    "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET"
    " value = CASE WHEN expires_at <= excluded.expires_at - ? THEN excluded.value"
    "              ELSE value + excluded.value END,"
    " expires_at = CASE WHEN expires_at <= excluded.expires_at - ? THEN excluded.expires_at"
    "                   ELSE expires_at END "
    "RETURNING value"
)


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file, shared by the processes that open it.

    Each increment is one ``INSERT … ON CONFLICT … RETURNING`` statement (atomic under
    SQLite's write lock); a counter whose window has passed starts again at the amount.
    One connection per process (gunicorn forks workers), used by one thread at a time:
    the development server starts a thread per request, and each statement is short."""

    STORAGE_SCHEME = ["parindex-sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        self._lock = threading.Lock()
        self._held: tuple[int, sqlite3.Connection] | None = None

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _run(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        """Run one statement on this process's connection; its rows."""
        with self._lock:
            if self._held is None or self._held[0] != os.getpid():
                self._held = (os.getpid(), self._connect())
            return self._held[1].execute(sql, parameters).fetchall()

    def _connect(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        return db

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        ((value,),) = self._run(_INCR, (key, amount, now + expiry, expiry, expiry))
        if random.random() < 0.01:  # noqa: S311 (housekeeping, not security)
            self._run("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        return self.get_many([key])[0]

    def get_many(self, keys: list[str]) -> list[int]:
        """The live counters under ``keys`` (0 where none), in one query."""
        marks = ", ".join("?" * len(keys))
        rows = self._run(
            f"SELECT key, value FROM counters WHERE key IN ({marks}) AND expires_at > ?",  # noqa: S608
            (*keys, time.time()),
        )
        found = dict(rows)
        return [int(found.get(key, 0)) for key in keys]

    def get_expiry(self, key: str) -> float:
        rows = self._run("SELECT expires_at FROM counters WHERE key = ?", (key,))
        return max(rows[0][0], time.time()) if rows else time.time()

    def check(self) -> bool:
        try:
            self._run("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return len(self._run("DELETE FROM counters RETURNING 1"))

    def clear(self, key: str) -> None:
        self._run("DELETE FROM counters WHERE key = ?", (key,))


class FallbackStorage(Storage):
    """Redis (``primary``), or the SQLite file (``fallback``) while Redis fails.

    Options (Flask-Limiter's ``RATELIMIT_STORAGE_OPTIONS``): ``primary`` the Redis URL,
    ``fallback`` a ``parindex-sqlite://`` URL. Counts made in one store are not copied to
    the other: at each switch an address may get one more allowance (see docs/SECURITY.md,
    "Rate limits when Redis is down")."""

    STORAGE_SCHEME = ["parindex-fallback"]

    def __init__(
        self, uri: str, wrap_exceptions: bool = False, *, primary: str, fallback: str, **options
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.primary = storage_from_string(
            primary,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            **options,
        )
        self.fallback = storage_from_string(fallback)
        self._down_until = 0.0
        self._down = False

    @property
    def base_exceptions(self):
        return (*_tuple(self.primary.base_exceptions), sqlite3.Error)

    @property
    def is_falling_back(self) -> bool:
        return self._down

    def _use(self, operation):
        if time.monotonic() >= self._down_until:
            try:
                result = operation(self.primary)
            except Exception:  # noqa: BLE001 (whatever Redis raised: count in SQLite)
                if not self._down:
                    log.warning("Rate-limit Redis unreachable; counting in the instance file")
                self._down, self._down_until = True, time.monotonic() + RECHECK_SECONDS
            else:
                if self._down:
                    log.warning("Rate-limit Redis answers again; counting there")
                    self._down = False
                return result
        return operation(self.fallback)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        return self._use(lambda store: store.incr(key, expiry, amount))

    def get(self, key: str) -> int:
        return self._use(lambda store: store.get(key))

    def get_many(self, keys: list[str]) -> list[int]:
        """The counters under ``keys``: one MGET on Redis, one query on SQLite."""
        return self._use(lambda store: get_many(store, keys))

    def get_expiry(self, key: str) -> float:
        return self._use(lambda store: store.get_expiry(key))

    def check(self) -> bool:
        return self._use(lambda store: store.check())

    def reset(self) -> int | None:
        return self._use(lambda store: store.reset())

    def clear(self, key: str) -> None:
        return self._use(lambda store: store.clear(key))


@contextmanager
def failing_open(what: str) -> Iterator[None]:
    """Counting with the limits' storage where even the SQLite fallback failed: the request
    goes on unthrottled and ``Rate-limit storage failed; WHAT`` is logged, as
    Flask-Limiter's own limits do (``swallow_errors``). A ``return`` inside the block is
    the answer; after a failure the code after the block gives the fail-open answer."""
    try:
        yield
    except Exception:  # noqa: BLE001 (no storage at all: serve)
        log.exception("Rate-limit storage failed; %s", what)


def get_many(storage: Storage, keys: list[str]) -> list[int]:
    """The counters under ``keys`` in one round trip where the storage allows it."""
    if isinstance(storage, RedisStorage):
        client = storage.get_connection(readonly=True)
        return [int(v or 0) for v in client.mget([storage.prefixed_key(k) for k in keys])]
    if hasattr(storage, "get_many"):
        return storage.get_many(keys)
    return [storage.get(k) for k in keys]


def _tuple(exceptions) -> tuple:
    return exceptions if isinstance(exceptions, tuple) else (exceptions,)
