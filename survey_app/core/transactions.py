"""Slow work (reading an uploaded file) done with no database transaction open."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from survey_app.extensions import db

P = ParamSpec("P")
T = TypeVar("T")


def without_transaction(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """End the session's transaction, then run ``work``: on SQLite a writing request holds
    the write lock from its first query (core/sqlite.py), and parsing a file for seconds
    under it would make every sign-in and submit wait. Read what the parser needs first;
    loaded objects are reloaded on their next use, in a new transaction.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("without_transaction: unsaved changes would be committed half-done")
    session.commit()
    return work(*args, **kwargs)
