"""Read-only queries of rounds: one round, its response progress, counts and history."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from flask import abort
from sqlalchemy import case, func, select

from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.openlinks.models import OpenLink
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from survey_app.units.models import Unit


def get_round(round_id: int) -> Round:
    """The round, or 404."""
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def find_round(round_id: int) -> Round | None:
    return db.session.get(Round, round_id)


@dataclass(frozen=True)
class ProgressRow:
    """One unit × group: people invited (not revoked), invitations answered, their rate,
    and responses that came another way (paper import, open link)."""

    unit: str
    group: str
    invited: int
    responded: int
    rate: float | None
    other_channels: int

    def as_dict(self) -> dict:
        return asdict(self)


def get_progress(rnd: Round) -> list[ProgressRow]:
    """Progress per unit × group, ordered by unit code then group."""
    invited = _invitation_counts(rnd)
    others = _other_channel_counts(rnd)
    rows = []
    for unit, group in sorted(set(invited) | set(others)):
        n, used = invited.get((unit, group), (0, 0))
        rate = round(used / n, 4) if n else None
        rows.append(ProgressRow(unit, group, n, used, rate, others.get((unit, group), 0)))
    return rows


def _invitation_counts(rnd: Round) -> dict[tuple[str, str], tuple[int, int]]:
    stmt = (
        select(
            Unit.code,
            Invitation.group_code,
            func.count(),
            func.sum(case((Invitation.is_used, 1), else_=0)),
        )
        .join(Unit, Unit.id == Invitation.unit_id)
        .where(Invitation.round_id == rnd.id, ~Invitation.is_revoked)
        .group_by(Unit.code, Invitation.group_code)
    )
    return {(u, g): (n, int(used or 0)) for u, g, n, used in db.session.execute(stmt)}


def _other_channel_counts(rnd: Round) -> dict[tuple[str, str], int]:
    stmt = (
        select(Unit.code, Response.group_code, func.count())
        .join(Unit, Unit.id == Response.unit_id)
        .where(Response.round_id == rnd.id, Response.channel != "online")
        .group_by(Unit.code, Response.group_code)
    )
    return {(u, g): n for u, g, n in db.session.execute(stmt)}


def progress_totals(rows: list[ProgressRow]) -> dict:
    invited = sum(r.invited for r in rows)
    responded = sum(r.responded for r in rows)
    return {
        "invited": invited,
        "responded": responded,
        "rate": round(responded / invited, 4) if invited else None,
        "other_channels": sum(r.other_channels for r in rows),
    }


@dataclass(frozen=True)
class InvitationCounts:
    """What the irreversible actions of a round would touch, for their confirmation pages."""

    #: invited, not answered, not withdrawn: they can no longer answer once the round closes
    unanswered: int
    #: of those, with an address and never e-mailed: "send invitations" would write to them
    to_invite: int
    #: of those, with an address and already e-mailed: "send reminders" would write to them
    to_remind: int
    #: open links still active
    open_links: int


def get_invitation_counts(rnd: Round) -> InvitationCounts:
    waiting = (Invitation.round_id == rnd.id, ~Invitation.is_used, ~Invitation.is_revoked)
    has_email = Invitation.email.is_not(None)
    stmt = select(
        func.count(),
        func.sum(case((has_email & Invitation.sent_at.is_(None), 1), else_=0)),
        func.sum(case((has_email & Invitation.sent_at.is_not(None), 1), else_=0)),
    ).where(*waiting)
    unanswered, to_invite, to_remind = db.session.execute(stmt).one()
    links = db.session.scalar(
        select(func.count()).where(OpenLink.round_id == rnd.id, OpenLink.is_active)
    )
    return InvitationCounts(unanswered, int(to_invite or 0), int(to_remind or 0), links)


#: Audit actions shown in a round's history (the per-invitation ones would drown them).
ROUND_ACTIONS = (
    "round.create",
    "round.open",
    "round.close",
    "round.reopen",
    "round.extend",
    "round.publish",
    "round.unpublish",
    "round.send_invitations",
    "round.send_reminders",
    "invitation.revoke",
    "invitations.create",
    "invitations.reissue",
    "invitations.invitation",
    "invitations.reminder",
    "invitations.mail",
)


@dataclass(frozen=True)
class MailFailures:
    """Mails of a round that failed for one reason and wait for a retry (or gave up)."""

    #: one of ``survey_app.invitations.mail.REASONS`` (English; translated when shown)
    reason: str
    count: int
    #: the earliest next attempt; None once every one of them has given up
    next_attempt: dt.datetime | None


def list_mail_failures(rnd: Round) -> list[MailFailures]:
    """The failed mails of ``rnd`` still waiting, grouped by reason, most first."""
    stmt = (
        select(Invitation.mail_error, func.count(), func.min(Invitation.mail_retry_at))
        .where(
            Invitation.round_id == rnd.id,
            Invitation.mail_kind.is_not(None),
            Invitation.mail_error.is_not(None),
            ~Invitation.is_used,
            ~Invitation.is_revoked,
        )
        .group_by(Invitation.mail_error)
        .order_by(func.count().desc(), Invitation.mail_error)
    )
    return [MailFailures(*row) for row in db.session.execute(stmt)]


def list_round_history(rnd: Round, limit: int = 15) -> list[AuditEntry]:
    """The round's latest changes of state, dates, publication and sending, newest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.round_id == rnd.id, AuditEntry.action.in_(ROUND_ACTIONS))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
