"""E-mailing invitations and reminders: an outbox of mails, one invitation at a time.

Asking for mail marks the invitations (``mail_kind``); ``send_due`` then sends each
marked one on its own: a new token, the message, and only once the server (or the
mailbox) has accepted it is the new hash committed. A failure keeps the old hash, so
the link the person already has goes on working; it records the reason and the next
attempt (exponential backoff), which the scheduler's ``mail-retries`` entry picks up.
A crash between acceptance and commit loses one new link (the old one stays valid).
Logs carry counts only: no address, name, token or hash.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app, render_template
from sqlalchemy import func, or_, select, update

from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.mail import MailFailure, Outbox, build_message
from survey_app.invitations.models import Invitation
from survey_app.invitations.operations import Issued, link_url
from survey_app.invitations.tokens import new_token, token_hash
from survey_app.rounds.models import Round

log = logging.getLogger(__name__)

#: Attempts at one mail before retries stop (the admin sees it and may ask again).
MAX_ATTEMPTS = 8
#: The longest wait between two attempts.
MAX_BACKOFF = dt.timedelta(hours=6)
#: How long a sender holds a mail it is sending (more than the SMTP timeout): meanwhile no
#: other sender takes it and no new ask resets it, so nobody gets two links at once.
CLAIM = dt.timedelta(minutes=5)


@dataclass
class Mailing:
    """What a pass of sending did: mails accepted, and failures counted per reason."""

    sent: int = 0
    failures: Counter = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def summary(self) -> str:
        """``2 of 5 mails failed: the mail server closed the connection`` (for the CLI)."""
        reasons = "; ".join(f"{r} ({n})" if len(self.failures) > 1 else r
                            for r, n in self.failures.most_common())  # fmt: skip
        return f"{self.failed} of {self.sent + self.failed} mails failed: {reasons}"

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "failures": dict(self.failures)}


def send_invitations(rnd: Round) -> Mailing:
    """E-mail everyone of ``rnd`` with an address who has not been sent a link yet."""
    _ask(rnd, Invitation.sent_at.is_(None), "invitation")
    return send_due(rnd)


def send_reminders(rnd: Round) -> Mailing:
    """E-mail everyone already invited who has not answered (and is not revoked)."""
    _ask(rnd, Invitation.sent_at.is_not(None), "reminder")
    return send_due(rnd)


def deliver(rnd: Round, issued: list[Issued]) -> Mailing:
    """Send the links just issued (``parindex rounds invite --send``); commits. A link
    that cannot be mailed is marked to be retried (with a new link) like any other."""
    mailed = [(inv, token) for inv, token in issued if inv.email]
    for inv, _token in mailed:
        inv.mail_kind, inv.mail_claimed_until = "invitation", utcnow() + CLAIM
    db.session.commit()
    result = Mailing()
    with Outbox() as outbox:
        for inv, token in mailed:
            _send_one(rnd, inv, outbox, result, token)
    _log(rnd, result)
    return result


def send_due(rnd: Round) -> Mailing:
    """Send every mail of ``rnd`` whose time has come; one commit per invitation."""
    result = Mailing()
    if rnd.state != "open":
        log.info("round %s is %s: no mail sent", rnd.id, rnd.state)
        return result
    ids = list(db.session.scalars(_due(rnd).order_by(Invitation.id)))
    db.session.commit()  # no transaction stays open while the server is talked to
    with Outbox() as outbox:
        for inv_id in ids:
            if _claim(inv_id):
                inv = db.session.get(Invitation, inv_id, populate_existing=True)
                _send_one(rnd, inv, outbox, result)
    _log(rnd, result)
    return result


def rounds_with_due_mail() -> list[int]:
    """Open rounds with a mail waiting for its retry (for the scheduler)."""
    stmt = (
        select(Invitation.round_id)
        .join(Round, Round.id == Invitation.round_id)
        .where(Round.state == "open", *_waiting(), _unclaimed())
        .where(Invitation.mail_retry_at <= utcnow())
        .distinct()
    )
    return list(db.session.scalars(stmt))


def _waiting():
    return (Invitation.mail_kind.is_not(None), ~Invitation.is_used, ~Invitation.is_revoked)


def _unclaimed():
    return or_(Invitation.mail_claimed_until.is_(None), Invitation.mail_claimed_until < utcnow())


def _claim(inv_id: int) -> bool:
    """Take the mail of ``inv_id`` for this sender, unless another sender has it."""
    taken = db.session.execute(
        update(Invitation)
        .where(Invitation.id == inv_id, *_waiting(), _unclaimed())
        .values(mail_claimed_until=utcnow() + CLAIM)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(taken)


def _due(rnd: Round):
    return select(Invitation.id).where(
        Invitation.round_id == rnd.id,
        Invitation.email.is_not(None),
        *_waiting(),
        _unclaimed(),
        Invitation.mail_retry_at <= utcnow(),
    )


def _ask(rnd: Round, which, kind: str) -> None:
    """Mark the mails asked for; an admin asking again restarts the count of attempts."""
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.round_id == rnd.id,
            Invitation.email.is_not(None),
            ~Invitation.is_used,
            ~Invitation.is_revoked,
            _unclaimed(),
            which,
        )
        .values(
            mail_kind=func.coalesce(Invitation.mail_kind, kind),
            mail_attempts=0,
            mail_retry_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _send_one(rnd: Round, inv: Invitation, outbox: Outbox, result: Mailing, token=None) -> None:
    token = token or new_token()
    kind = inv.mail_kind
    body = render_template(
        f"mail/{kind}.txt", round=rnd, inv=inv, link=link_url(current_app.config["BASE_URL"], token)
    )
    try:
        outbox.send(build_message(inv.email, f"Khảo sát CCHC / PAR survey: {rnd.name}", body))
    except MailFailure as exc:
        _failed(inv, exc.reason)
        result.failures[exc.reason] += 1
    else:
        _accepted(inv, kind, token)
        result.sent += 1
    db.session.commit()


def _accepted(inv: Invitation, kind: str, token: str) -> None:
    now = utcnow()
    inv.token_hash = token_hash(token)
    if kind == "reminder":
        inv.reminded_at = now
    else:
        inv.sent_at = now
    inv.mail_kind = inv.mail_error = inv.mail_retry_at = inv.mail_claimed_until = None
    inv.mail_attempts = 0


def _failed(inv: Invitation, reason: str) -> None:
    inv.mail_attempts += 1
    inv.mail_error = reason
    inv.mail_retry_at = _next_attempt(inv.mail_attempts)
    inv.mail_claimed_until = None


def _next_attempt(attempts: int) -> dt.datetime | None:
    """First retry after ``MAIL_RETRY_SECONDS``, then twice as long each time, at most
    ``MAX_BACKOFF``; none after ``MAX_ATTEMPTS``."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = current_app.config.get("MAIL_RETRY_SECONDS", 60)
    wait = min(dt.timedelta(seconds=base * 2 ** (attempts - 1)), MAX_BACKOFF)
    return utcnow() + wait


def _log(rnd: Round, result: Mailing) -> None:
    if result.sent or result.failed:
        log_change("invitations.mail", "round", rnd.id, round_id=rnd.id, new=result.as_dict())
        db.session.commit()
    log.info("round %s: %d mails sent, %d failed", rnd.id, result.sent, result.failed)
