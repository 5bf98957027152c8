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
    a per-address rate limit and one submission per browser session; bursts are counted
    and shown to the admin so the figures can be read with care.
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
    #: times the per-link burst threshold was crossed (a sign of ballot stuffing)
    suspicious_bursts: Mapped[int] = mapped_column(Integer, default=0)
    #: when it was made
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit = relationship("Unit")
