"""Answers in progress: in ``response_drafts`` for an invitation (so they can be resumed
on another day or device), in the session cookie for an open link (no resume)."""

from __future__ import annotations

import time

from flask import session
from sqlalchemy import bindparam, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.openlinks.models import OpenLink
from survey_app.responses.answers import merge
from survey_app.responses.driversql import DriverStatement
from survey_app.responses.links import (
    CLOSED,
    OK,
    Entry,
    invitation_state,
    invitation_state_query,
    invitation_status,
)
from survey_app.responses.submit import load_draft, save_draft
from survey_app.rounds.models import Round

__all__ = ["link_state", "load", "merge", "open_page", "save"]

_drafts = ResponseDraft.__table__
#: An invitation's state and its draft, in one query (the form page's only one).
_PAGE = DriverStatement(
    invitation_state_query(
        Invitation.__table__.c.id == bindparam("invitation_id"),
        _drafts.c.answers,
        _drafts.c.section,
    ).outerjoin(_drafts, _drafts.c.invitation_id == Invitation.__table__.c.id)
)


#: How long after a link was opened with nothing saved its form page trusts that reading.
BLANK_FOR_SECONDS = 30


def open_page(entry: Entry) -> tuple[str, dict[str, int], int]:
    """The link's state, and the answers and page saved so far (one query).

    None right after the link itself found the invitation usable with nothing saved (the
    page it redirects to): nothing this page shows could be stale in a way that matters,
    because every save and submit checks the invitation again as it writes, and a submit
    merges any draft saved elsewhere meanwhile.
    """
    if entry.kind == "i" and 0 <= time.time() - entry.blank_at < BLANK_FOR_SECONDS:
        return OK, {}, 0
    if entry.kind != "i":
        status = link_state(entry)
        return (status, *load(entry)) if status == OK else (status, {}, 0)
    row = _PAGE.run_alone({"invitation_id": entry.id, "now": utcnow()})
    status = invitation_state(row, entry.h)
    if status != OK:
        return status, {}, 0
    return status, merge(row.answers, {}), row.section or 0


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
            Round.accepts_answers(utcnow()),
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
