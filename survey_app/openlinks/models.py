"""Open links: a link anyone may use, for groups without a list (citizens, firms)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, utcnow
from survey_app.extensions import db


class OpenLink(db.Model):
    """A shared link for one unit and group of a round.

    Weaker than invitations: nothing stops one person from answering many times except
    a per-address cap and one submission per opening (:class:`OpenLinkNonce`); responses
    in a burst are marked (``Response.is_burst``) and the bursts shown to the admin.
    """

    __tablename__ = "open_links"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", "group_code"),
        CheckConstraint("suspicious_bursts >= 0", name="bursts_not_negative"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: the unit respondents rate
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: respondent group, such as ``citizen``
    group_code: Mapped[str] = mapped_column(String(32))
    #: sampling stratum copied into each response
    stratum: Mapped[str] = mapped_column(String(64))
    #: primary sampling unit copied into each response
    psu: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 of the link token (the token itself is shown once, when made)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: the link accepts responses; an admin may switch it off
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: minutes in which the per-link burst threshold was crossed (a sign of ballot stuffing)
    suspicious_bursts: Mapped[int] = mapped_column(Integer, default=0)
    #: when it was made
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit = relationship("Unit")


class OpenLinkNonce(db.Model):
    """One opening of an open link, not yet used to submit: the browser's session holds
    the nonce, the submit deletes this row, so a replayed cookie stores nothing more.
    Says nothing about who opened the link; rows left by people who never submitted are
    deleted after :data:`survey_app.openlinks.nonces.NONCE_DAYS`."""

    __tablename__ = "open_link_nonces"

    #: SHA-256 of the nonce (the nonce itself is only in the browser's signed session)
    nonce_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    #: the link opened
    open_link_id: Mapped[int] = mapped_column(ForeignKey("open_links.id", ondelete="CASCADE"))
    #: when it was opened (old unused nonces are deleted)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
