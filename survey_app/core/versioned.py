"""Versioned definitions (criteria sets, questionnaires): a code is never reused."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile, Problem


def refuse_existing_code(model, code: str, what: str, file_name: str) -> None:
    """Raise ``InvalidFile`` if a ``model`` row with ``code`` exists: a changed definition
    gets a new code, so rounds that used the old one keep it as it was."""
    if db.session.scalar(select(model.id).where(model.code == code)):
        raise InvalidFile(
            file_name,
            [
                Problem(
                    "code",
                    "{what} '{code}' already exists; give a changed {what} a new code",
                    what=what,
                    code=code,
                )
            ],
        )
