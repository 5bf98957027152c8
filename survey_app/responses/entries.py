"""The two ways into the questionnaire, one class each (issue 16): how a link's state is
read, how answers in progress are kept, and how a response is stored.

- :class:`InvitationEntry`: answers in progress in ``response_drafts`` (resumed on
  another day or device), the response stored exactly once per invitation;
- :class:`OpenLinkEntry`: answers in progress in the session cookie (no resume), the
  response stored once per opening of the link, within the address cap.

Views call :func:`way_of` once and never ask which kind of link it is.
"""

from __future__ import annotations

import time

from flask import session
from flask_limiter.util import get_remote_address
from sqlalchemy import bindparam, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.openlinks.models import OpenLink
from survey_app.openlinks.operations import flag_burst
from survey_app.openlinks.ratelimit import OpenLinkLimiter
from survey_app.responses.answers import merge
from survey_app.responses.driversql import DriverStatement
from survey_app.responses.links import (
    CLOSED,
    OK,
    Entry,
    invitation_state,
    invitation_state_query,
)
from survey_app.responses.structure import FormSpec
from survey_app.responses.submit import (
    Outcome,
    load_draft,
    save_draft,
    submit_invitation,
    submit_open_link,
)
from survey_app.rounds.models import Round

#: The session's list of open links this browser has answered.
ANSWERED = "respond_answered"
#: How long after a link was opened with nothing saved its form page trusts that reading.
BLANK_FOR_SECONDS = 30
#: Open links' counters (a cap per address, bursts), in the shared store.
limiter = OpenLinkLimiter()

_drafts = ResponseDraft.__table__
#: An invitation's state and its draft, in one query (the form page's only one).
_PAGE = DriverStatement(
    invitation_state_query(
        Invitation.__table__.c.id == bindparam("invitation_id"),
        _drafts.c.answers,
        _drafts.c.section,
    ).outerjoin(_drafts, _drafts.c.invitation_id == Invitation.__table__.c.id)
)


class InvitationEntry:
    """An invitation link: drafts in the database, one response per invitation."""

    #: the page offers "save and continue later"
    can_save = True

    def open_page(self, entry: Entry) -> tuple[str, dict[str, int], int]:
        """The link's state, and the answers and page saved so far (one query).

        None right after the link itself found the invitation usable with nothing saved
        (the form the link shows at once, or ``/respond`` reloaded an instant later):
        nothing this page shows could be stale in a way that matters, because every save
        and submit checks the invitation again as it writes, and a submit merges any draft
        saved elsewhere meanwhile."""
        if 0 <= time.time() - entry.blank_at < BLANK_FOR_SECONDS:
            return OK, {}, 0
        row = _PAGE.run_alone({"invitation_id": entry.id, "now": utcnow()})
        status = invitation_state(row, entry.h)
        if status != OK:
            return status, {}, 0
        return status, merge(row.answers, {}), row.section or 0

    def load(self, entry: Entry) -> tuple[dict[str, int], int]:
        return load_draft(entry)

    def save(self, entry: Entry, posted: dict[str, int], section: int) -> str:
        return save_draft(entry, posted, section)

    def submit(self, entry: Entry, spec: FormSpec, posted: dict, confirmed: bool) -> Outcome:
        return submit_invitation(entry, spec, posted, confirmed=confirmed)


class OpenLinkEntry:
    """An open link: answers so far in the session cookie, one response per opening."""

    can_save = False

    def open_page(self, entry: Entry) -> tuple[str, dict[str, int], int]:
        """Whether the link still takes answers, and this browser's answers so far."""
        usable = db.session.scalar(
            select(OpenLink.id)
            .join(Round, Round.id == OpenLink.round_id)
            .where(OpenLink.id == entry.id, OpenLink.is_active, Round.accepts_answers(utcnow()))
        )
        return (OK, *self.load(entry)) if usable else (CLOSED, {}, 0)

    def load(self, entry: Entry) -> tuple[dict[str, int], int]:
        return merge(session.get("open_answers"), {}), int(session.get("open_section", 0))

    def save(self, entry: Entry, posted: dict[str, int], section: int) -> str:
        saved, _ = self.load(entry)
        session["open_answers"], session["open_section"] = merge(saved, posted), section
        return OK

    def submit(self, entry: Entry, spec: FormSpec, posted: dict, confirmed: bool) -> Outcome:
        """Within the address's cap; marked when the link is in a burst."""
        if not limiter.allow(entry.id, get_remote_address()):
            return Outcome("limited")
        is_burst = limiter.in_burst(entry.id)
        given = merge(session.get("open_answers"), posted)
        outcome = submit_open_link(entry, spec, given, confirmed=confirmed, is_burst=is_burst)
        if outcome.status == "stored":
            session.pop("open_answers", None)
            session[ANSWERED] = [*session.get(ANSWERED, []), entry.id]
            if is_burst and limiter.report_burst(entry.id):
                flag_burst(entry.id)
        return outcome


_WAYS = {"i": InvitationEntry(), "o": OpenLinkEntry()}


def way_of(entry: Entry) -> InvitationEntry | OpenLinkEntry:
    """How the session's link is read, kept and stored."""
    return _WAYS[entry.kind]
