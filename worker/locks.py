"""One aggregation per round at a time, across processes and machines."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from survey_app.extensions import db

_local_locks: dict[int, threading.Lock] = {}
_guard = threading.Lock()

#: Namespace of our PostgreSQL advisory locks (first key), so they meet no one else's.
LOCK_NAMESPACE = 0x50415249  # "PARI"


class RoundBusy(RuntimeError):
    """Another aggregation of the same round is running."""


@contextmanager
def round_lock(round_id: int) -> Iterator[None]:
    """PostgreSQL: a session advisory lock on its own connection; SQLite (one process,
    the embedded worker): a process-local lock. Raises :class:`RoundBusy` if taken."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, :id)"),
                {"ns": LOCK_NAMESPACE, "id": round_id},
            ).scalar()
            if not got:
                raise RoundBusy(f"round {round_id} is already being aggregated")
            try:
                yield
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :id)"),
                    {"ns": LOCK_NAMESPACE, "id": round_id},
                )
                conn.commit()
        return
    with _guard:
        lock = _local_locks.setdefault(round_id, threading.Lock())
    if not lock.acquire(blocking=False):
        raise RoundBusy(f"round {round_id} is already being aggregated")
    try:
        yield
    finally:
        lock.release()
