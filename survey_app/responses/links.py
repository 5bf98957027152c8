"""Turning a link token into a respondent session entry, and what a link's state is."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.invitations.tokens import looks_like_token, token_hash
from survey_app.openlinks.models import OpenLink
from survey_app.responses.driversql import DriverStatement
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
    seconds; 0 otherwise, and once this browser has posted anything): the form that the
    link shows (and ``/respond`` reloaded an instant later) can then be shown without
    reading again what the link has just read (see :meth:`.entries.InvitationEntry.open_page`).
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
        # every field is a str or an int: a plain copy (``asdict`` deep-copies each value)
        return dict(vars(self))

    @classmethod
    def from_session(cls, data) -> Entry | None:
        try:
            return cls(**data)
        except TypeError:
            return None


_inv, _rounds = Invitation.__table__, Round.__table__
#: Whether the round accepts answers at ``now`` (the one definition: ``Round``).
ACCEPTING = Round.accepts_answers(bindparam("now")).label("accepting")


def invitation_state_query(where, *columns):
    """The one link-state query of an invitation: its row's state and its round's,
    with ``columns`` more, for the invitation ``where`` picks (bind ``now``)."""
    return (
        select(_inv.c.token_hash, _inv.c.is_used, _inv.c.is_revoked, _rounds.c.state, ACCEPTING)
        .add_columns(*columns)
        .join(_rounds, _rounds.c.id == _inv.c.round_id)
        .where(where)
    )


def invitation_state(row, h: str | None = None) -> str:
    """The state of a row of :func:`invitation_state_query` (``h``: the hash the session
    holds, which a re-issued link no longer matches)."""
    if row is None or (h is not None and row.token_hash.hex() != h):
        return UNKNOWN
    if row.is_used:
        return USED
    if row.is_revoked:
        return REVOKED
    return round_state(row)


def round_state(row) -> str:
    """OK while the round accepts answers; else not open yet (a draft) or closed."""
    if row.accepting:
        return OK
    return NOT_OPEN if row.state == "draft" else CLOSED


#: Built once (Core, on the tables): the one query of ``GET /r/<token>``.
_BY_TOKEN = DriverStatement(
    invitation_state_query(
        _inv.c.token_hash == bindparam("digest"),
        _inv.c.id,
        _inv.c.round_id,
        _inv.c.group_code,
        _rounds.c.questionnaire_id,
        _inv.c.has_draft,
    )
)
_BY_ID = invitation_state_query(_inv.c.id == bindparam("invitation_id"))


def resolve_invitation(token: str) -> tuple[str, Entry | None]:
    """The state of an invitation link, and the session entry if it can be answered."""
    if not looks_like_token(token):
        return UNKNOWN, None
    digest = token_hash(token)
    row = _BY_TOKEN.run_alone({"digest": digest, "now": utcnow()})
    status = invitation_state(row)
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
            ACCEPTING,
            Round.questionnaire_id,
        )
        .join(Round, Round.id == OpenLink.round_id)
        .where(OpenLink.token_hash == digest),
        {"now": utcnow()},
    ).one_or_none()
    if row is None:
        return UNKNOWN, None
    status = round_state(row) if row.is_active else CLOSED
    if status != OK:
        return status, None
    return OK, Entry("o", row.id, digest.hex(), row.round_id, row.questionnaire_id, row.group_code)


def invitation_status(entry: Entry) -> str:
    """Why an invitation can no longer be answered (after a refused save or submit)."""
    row = db.session.execute(_BY_ID, {"invitation_id": entry.id, "now": utcnow()}).one_or_none()
    db.session.rollback()  # the connection back to the pool now, not after the page
    return invitation_state(row, entry.h)
