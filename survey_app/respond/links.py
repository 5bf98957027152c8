"""Turning a link token into a respondent session entry, and what a link's state is."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass

from sqlalchemy import bindparam, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.invitations.tokens import looks_like_token, token_hash
from survey_app.openlinks.models import OpenLink
from survey_app.respond.driversql import DriverStatement
from survey_app.rounds.models import Round

#: Link states, each with its own page; ``ok`` starts (or resumes) the questionnaire.
#: ``busy``: another request holds the link (a burst of submits) beyond a second;
#: ``answered_here``: this opening of an open link has submitted already.
OK, UNKNOWN, USED, REVOKED, CLOSED, NOT_OPEN, BUSY, ANSWERED_HERE = (
    "ok",
    "unknown",
    "used",
    "revoked",
    "closed",
    "not_open",
    "busy",
    "answered_here",
)


@dataclass(frozen=True)
class Entry:
    """What the respondent's session holds: which invitation (or open link) and form.

    ``h`` is the hex of the link's stored hash: re-issuing the link changes it, so a
    session opened with an old link stops working too.

    ``blank_at`` is when an invitation link was opened with nothing saved for it (Unix
    seconds; 0 otherwise, and once this browser has posted anything): the form page that
    the link redirects to, an instant later, can then be shown without reading again
    what the link has just read (see :func:`survey_app.respond.drafts.open_page`).
    """

    kind: str  # "i" invitation, "o" open link
    id: int
    h: str
    round_id: int
    questionnaire_id: int
    group: str
    blank_at: int = 0
    #: an open link's nonce of this opening (``openlinks/nonces.py``), used up by a submit
    nonce: str = ""

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data) -> Entry | None:
        try:
            return cls(**data)
        except TypeError:
            return None


def round_status(state: str, opens_at, closes_at, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if state == "draft":
        return NOT_OPEN
    if state != "open" or (closes_at is not None and closes_at <= now):
        return CLOSED
    return OK


_inv, _rounds = Invitation.__table__, Round.__table__
#: Built once (Core, on the tables): the one query of ``GET /r/<token>``.
_BY_TOKEN = DriverStatement(
    select(
        _inv.c.id,
        _inv.c.round_id,
        _inv.c.group_code,
        _inv.c.is_used,
        _inv.c.is_revoked,
        _rounds.c.state,
        _rounds.c.opens_at,
        _rounds.c.closes_at,
        _rounds.c.questionnaire_id,
        _inv.c.has_draft,
    )
    .join(_rounds, _rounds.c.id == _inv.c.round_id)
    .where(_inv.c.token_hash == bindparam("digest"))
)
_BY_ID = (
    select(
        _inv.c.is_used,
        _inv.c.is_revoked,
        _inv.c.token_hash,
        _rounds.c.state,
        _rounds.c.opens_at,
        _rounds.c.closes_at,
    )
    .join(_rounds, _rounds.c.id == _inv.c.round_id)
    .where(_inv.c.id == bindparam("invitation_id"))
)


def resolve_invitation(token: str) -> tuple[str, Entry | None]:
    """The state of an invitation link, and the session entry if it can be answered."""
    if not looks_like_token(token):
        return UNKNOWN, None
    digest = token_hash(token)
    row = _BY_TOKEN.run_alone({"digest": digest})
    if row is None:
        return UNKNOWN, None
    status = USED if row.is_used else REVOKED if row.is_revoked else OK
    if status == OK:
        status = round_status(row.state, row.opens_at, row.closes_at)
    if status != OK:
        return status, None
    blank_at = 0 if row.has_draft else int(time.time())
    return OK, Entry(
        "i", row.id, digest.hex(), row.round_id, row.questionnaire_id, row.group_code, blank_at
    )


def resolve_open_link(token: str) -> tuple[str, Entry | None]:
    """The state of an open link, and the session entry if it can be answered."""
    if not looks_like_token(token):
        return UNKNOWN, None
    digest = token_hash(token)
    row = db.session.execute(
        select(
            OpenLink.id,
            OpenLink.round_id,
            OpenLink.group_code,
            OpenLink.is_active,
            Round.state,
            Round.opens_at,
            Round.closes_at,
            Round.questionnaire_id,
        )
        .join(Round, Round.id == OpenLink.round_id)
        .where(OpenLink.token_hash == digest)
    ).one_or_none()
    if row is None:
        return UNKNOWN, None
    status = round_status(row.state, row.opens_at, row.closes_at) if row.is_active else CLOSED
    if status != OK:
        return status, None
    return OK, Entry("o", row.id, digest.hex(), row.round_id, row.questionnaire_id, row.group_code)


def invitation_status(entry: Entry) -> str:
    """Why an invitation can no longer be answered (after a refused save or submit)."""
    row = db.session.execute(_BY_ID, {"invitation_id": entry.id}).one_or_none()
    db.session.rollback()  # the connection back to the pool now, not after the page
    if row is None or row.token_hash.hex() != entry.h:
        return UNKNOWN
    if row.is_used:
        return USED
    if row.is_revoked:
        return REVOKED
    return round_status(row.state, row.opens_at, row.closes_at)
