"""Refused row locks (PostgreSQL ``FOR UPDATE NOWAIT``) and the short, bounded retries
after them, with no connection held while waiting."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from psycopg.errors import LockNotAvailable
from sqlalchemy import exc

T = TypeVar("T")

#: The driver's error for a refused NOWAIT lock (statements run on driver connections).
LOCK_REFUSED = LockNotAvailable
#: How long (seconds) a request keeps trying for a row another request holds. A save or
#: a submit holds it for milliseconds; past this the link is busy (409), never a 500
#: after waiting for a pool connection.
PATIENCE_SECONDS = 1.0


def is_lock_refused(error: BaseException) -> bool:
    return isinstance(error, LockNotAvailable) or (
        isinstance(error, exc.OperationalError) and isinstance(error.orig, LockNotAvailable)
    )


def with_lock_retries(attempt: Callable[[], T], refused: T) -> T:
    """``attempt()`` (one transaction that ends, releasing its connection, when it
    raises), tried again after a short random pause while its row lock is refused;
    ``refused`` once :data:`PATIENCE_SECONDS` have passed."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    pause = 0.01
    while True:
        try:
            return attempt()
        except (exc.OperationalError, LockNotAvailable) as error:
            if not is_lock_refused(error):
                raise
        if time.monotonic() + pause > deadline:
            return refused
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 0.2)
