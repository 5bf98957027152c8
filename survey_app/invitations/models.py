"""Invitations (one-time links) and the drafts of respondents who save and resume."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, utcnow
from survey_app.extensions import db


class Invitation(db.Model):
    """One person invited to a round. The token itself is never stored, only its keyed hash.

    There is deliberately no link from a response back to its invitation, and no time of
    use: ``is_used`` is all that the progress figures need.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_round_unit_group", "round_id", "unit_id", "group_code"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: HMAC-SHA256 of the link token under the secret key
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: e-mail address; null when the link is handed out another way
    email: Mapped[str | None] = mapped_column(String(320))
    #: the person's name, for the invitation only (never copied into a response)
    name: Mapped[str] = mapped_column(String(255))
    #: respondent group, such as ``leader``
    group_code: Mapped[str] = mapped_column(String(32))
    #: the unit they rate
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: sampling stratum, copied into the response
    stratum: Mapped[str] = mapped_column(String(64))
    #: primary sampling unit, copied into the response (``*``: the stratum's PSUs too small
    #: to stand alone, merged; see :mod:`survey_app.formats.cells`)
    psu: Mapped[str] = mapped_column(String(64))
    #: the round's weighting variables only (sex, age band …: its population margins), as
    #: kept after the minimum cell size; copied into the response
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: when it was created
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the link last went out by e-mail
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when the last reminder went out
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the link has been used to submit; set in the same transaction as the response
    is_used: Mapped[bool] = mapped_column(Boolean, default=False)
    #: withdrawn by an admin; the link stops working
    is_revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: a draft was saved (set with the draft, under this row's lock; the submit reads it
    #: from the row it locks, and deletes the draft only if it is set)
    has_draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: the mail waiting to go out (``invitation`` or ``reminder``); null when none is.
    #: Its link is made when it is sent, and ``token_hash`` changes only once the server
    #: (or the mailbox) has accepted it, so a failure leaves the current link working.
    mail_kind: Mapped[str | None] = mapped_column(String(16))
    #: failed attempts at the waiting mail (reset when an admin asks again)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: why the last attempt failed: one of ``survey_app.invitations.mail.REASONS``
    mail_error: Mapped[str | None] = mapped_column(String(120))
    #: when the waiting mail is tried next; null once retries are given up
    mail_retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: a sender has claimed the mail until then (no second sender, no re-ask meanwhile)
    mail_claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit")


class ResponseDraft(db.Model):
    """Answers saved before submission; deleted in the transaction that submits them."""

    __tablename__ = "response_drafts"

    #: the invitation being answered (a draft is not anonymous yet; the response will be)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    #: item code → value, as saved so far
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the section the respondent was on
    section: Mapped[int] = mapped_column(Integer, default=0)
    #: last save
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    invitation: Mapped[Invitation] = relationship()
