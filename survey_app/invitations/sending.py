"""E-mailing invitations and reminders.

Every message carries a freshly issued link (tokens are not stored, so a link cannot be
sent twice): a reminder's link replaces the invitation's. New hashes are committed
before the messages go out, and ``sent_at``/``reminded_at`` after, so a crash in between
leaves people marked unsent, to be sent again, never a stored link nobody received.
Logs carry counts only: no address, name, token or hash.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template
from sqlalchemy import select

from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.mail import Outbox, build_message
from survey_app.invitations.models import Invitation
from survey_app.invitations.operations import Issued, link_url, reissue_links
from survey_app.rounds.models import Round

log = logging.getLogger(__name__)
BATCH = 200


def send_invitations(rnd: Round) -> int:
    """E-mail everyone of ``rnd`` with an address who has not been sent a link yet."""
    stmt = _open_with_email(rnd).where(Invitation.sent_at.is_(None))
    return _send_all(rnd, stmt, "invitation")


def send_reminders(rnd: Round) -> int:
    """E-mail everyone already invited who has not answered (and is not revoked)."""
    stmt = _open_with_email(rnd).where(Invitation.sent_at.is_not(None))
    return _send_all(rnd, stmt, "reminder")


def deliver(rnd: Round, issued: list[Issued], kind: str = "invitation") -> int:
    """Send the links just issued (``parindex rounds invite --send``); commits."""
    db.session.commit()
    sent = _mail(rnd, [(inv, tok) for inv, tok in issued if inv.email], kind)
    _finish(rnd, sent, kind)
    return len(sent)


def _open_with_email(rnd: Round):
    return select(Invitation).where(
        Invitation.round_id == rnd.id,
        Invitation.email.is_not(None),
        ~Invitation.is_used,
        ~Invitation.is_revoked,
    )


def _send_all(rnd: Round, stmt, kind: str) -> int:
    if rnd.state != "open":
        log.info("round %s is %s: no %ss sent", rnd.id, rnd.state, kind)
        return 0
    total, last_id = 0, 0
    while batch := list(
        db.session.scalars(stmt.where(Invitation.id > last_id).order_by(Invitation.id).limit(BATCH))
    ):
        last_id = batch[-1].id
        issued = reissue_links(batch)
        db.session.commit()  # the new hashes are stored before any message leaves
        sent = _mail(rnd, issued, kind)
        _finish(rnd, sent, kind)
        total += len(sent)
    log.info("round %s: %d %ss sent", rnd.id, total, kind)
    return total


def _mail(rnd: Round, issued: list[Issued], kind: str) -> list[Invitation]:
    base = current_app.config["BASE_URL"]
    sent = []
    with Outbox() as outbox:
        for inv, token in issued:
            body = render_template(
                f"mail/{kind}.txt", round=rnd, inv=inv, link=link_url(base, token)
            )
            subject = f"Khảo sát CCHC / PAR survey: {rnd.name}"
            outbox.send(build_message(inv.email, subject, body))
            sent.append(inv)
    return sent


def _finish(rnd: Round, sent: list[Invitation], kind: str) -> None:
    now = utcnow()
    for inv in sent:
        if kind == "reminder":
            inv.reminded_at = now
        else:
            inv.sent_at = now
    log_change(f"invitations.{kind}", "round", rnd.id, round_id=rnd.id, new={"sent": len(sent)})
    db.session.commit()
