"""A last check before any ORM write: text the database cannot hold as given is refused
with a clear problem, the same on SQLite as on PostgreSQL.

PostgreSQL refuses NUL (U+0000) in text and JSON, and text longer than a ``String(n)``
column (SQLite stores both silently). File parsers and forms check what they know; this
catches what any path (web, CLI, a new importer) would otherwise turn into a server error.
"""

from __future__ import annotations

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Session

from survey_app.formats.problems import InvalidFile, Problem
from survey_app.i18n import N_


class UnstorableText(InvalidFile):
    """Raised from ``before_flush``; the session must be rolled back (views do)."""


def install() -> None:
    if not event.contains(Session, "before_flush", check_session):
        event.listen(Session, "before_flush", check_session)


def check_session(session: Session, _context, _instances) -> None:
    problems = [p for obj in [*session.new, *session.dirty] for p in _problems(obj)]
    if problems:
        raise UnstorableText("input", problems)


def check_values(table, values: dict) -> None:
    """The same check for a write that is no ORM flush (a Core or driver statement, such
    as the respondent's submit): ``values`` by column name."""
    problems = _value_problems(table, values.get)
    if problems:
        raise UnstorableText("input", problems)


def _problems(obj) -> list[Problem]:
    table = getattr(obj, "__table__", None)
    if table is None:
        return []
    return _value_problems(table, lambda name: getattr(obj, name, None))


def _value_problems(table, value_of) -> list[Problem]:
    out = []
    for column in table.columns:
        value = value_of(column.key)
        where = f"{table.name}.{column.name}"
        if isinstance(column.type, String) and isinstance(value, str):
            out += _text_problems(where, value, column.type.length)
        elif isinstance(column.type, JSON) and _has_nul(value):
            out.append(Problem(where, _NUL_MESSAGE))
    return out


_NUL_MESSAGE = N_("contains a NUL character (U+0000), which cannot be stored")


def _text_problems(where: str, value: str, length: int | None) -> list[Problem]:
    out = []
    if "\x00" in value:
        out.append(Problem(where, _NUL_MESSAGE))
    if length is not None and len(value) > length:
        out.append(
            Problem(
                where, "{n} characters; at most {length} are allowed", n=len(value), length=length
            )
        )
    return out


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False
