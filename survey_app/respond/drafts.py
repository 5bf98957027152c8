"""Answers in progress: in ``response_drafts`` for an invitation (so they can be resumed
on another day or device), in the session cookie for an open link (no resume)."""

from __future__ import annotations

from flask import session
from sqlalchemy import or_, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.openlinks.models import OpenLink
from survey_app.respond.answers import merge
from survey_app.respond.links import CLOSED, OK, Entry, invitation_status
from survey_app.respond.operations import load_draft, save_draft
from survey_app.rounds.models import Round

__all__ = ["link_state", "load", "merge", "save"]


def link_state(entry: Entry) -> str:
    """Whether the session's link can still be answered (it may have been used elsewhere,
    re-issued, revoked, or the round closed since)."""
    if entry.kind == "i":
        return invitation_status(entry)
    usable = db.session.scalar(
        select(OpenLink.id)
        .join(Round, Round.id == OpenLink.round_id)
        .where(
            OpenLink.id == entry.id,
            OpenLink.is_active,
            Round.state == "open",
            or_(Round.closes_at.is_(None), Round.closes_at > utcnow()),
        )
    )
    return OK if usable else CLOSED


def load(entry: Entry) -> tuple[dict[str, int], int]:
    if entry.kind == "i":
        return load_draft(entry)
    return merge(session.get("open_answers"), {}), int(session.get("open_section", 0))


def save(entry: Entry, posted: dict[str, int], section: int) -> str:
    saved, _ = load(entry)
    answers = merge(saved, posted)
    if entry.kind == "i":
        return save_draft(entry, answers, section)
    session["open_answers"], session["open_section"] = answers, section
    return OK
