"""Self-assessments, their appraisal history, explanations, evidence and bonus/penalty."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

ASSESSMENT_STATES = ("draft", "submitted", "appraised", "explained", "final")
#: Points are doubles: the web form takes two decimals, but imported appraisals may carry
#: more, and the index must reproduce them exactly.
POINTS = Float


class SelfAssessment(db.Model):
    """A unit's score on one ``self`` sub-criterion in a round, and the appraised score."""

    __tablename__ = "self_assessments"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", "subcriterion_id"),
        check_in("state", ASSESSMENT_STATES, "state_valid"),
        CheckConstraint("self_points IS NULL OR self_points >= 0", name="self_nonneg"),
        CheckConstraint(
            "appraised_points IS NULL OR appraised_points >= 0", name="appraised_nonneg"
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: the unit that scores itself
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: the sub-criterion (source ``self``)
    subcriterion_id: Mapped[int] = mapped_column(ForeignKey("subcriteria.id"))
    #: the unit's own points (≤ max, two decimals); null until entered
    self_points: Mapped[float | None] = mapped_column(POINTS)
    #: the unit's note
    note: Mapped[str | None] = mapped_column(Text)
    #: the points that count, after the latest appraisal; null until appraised
    appraised_points: Mapped[float | None] = mapped_column(POINTS)
    #: draft → submitted → appraised (round 1) → explained → final (round 2)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    #: when the unit submitted
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: last change
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subcriterion = relationship("SubCriterion")
    unit = relationship("Unit")
    appraisals: Mapped[list[Appraisal]] = relationship(
        cascade="all, delete-orphan", order_by="Appraisal.id"
    )
    explanations: Mapped[list[Explanation]] = relationship(
        cascade="all, delete-orphan", order_by="Explanation.id"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        cascade="all, delete-orphan", order_by="Evidence.id"
    )


class Appraisal(db.Model):
    """An appraiser's decision on a score in appraisal round 1 or 2."""

    __tablename__ = "appraisals"
    __table_args__ = (
        UniqueConstraint("assessment_id", "appraisal_round"),
        CheckConstraint("appraisal_round IN (1, 2)", name="round_1_or_2"),
        CheckConstraint("points >= 0", name="points_nonneg"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the self-assessment
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("self_assessments.id", ondelete="CASCADE")
    )
    #: 1 (first appraisal) or 2 (after the unit's explanation)
    appraisal_round: Mapped[int] = mapped_column(Integer)
    #: the points the appraiser gives
    points: Mapped[float] = mapped_column(POINTS)
    #: why, required when the points differ from the self score
    reason: Mapped[str | None] = mapped_column(Text)
    #: the appraiser
    appraiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Explanation(db.Model):
    """The unit's explanation (giải trình) of an adjustment, before appraisal round 2."""

    __tablename__ = "explanations"

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the self-assessment
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("self_assessments.id", ondelete="CASCADE")
    )
    #: the explanation
    text: Mapped[str] = mapped_column(Text)
    #: the focal point who wrote it
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evidence(db.Model):
    """An evidence file, stored outside the web root under a random name."""

    __tablename__ = "evidence"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_nonneg"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the self-assessment it supports
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("self_assessments.id", ondelete="CASCADE")
    )
    #: the name the user gave the file (shown, never used as a path)
    original_name: Mapped[str] = mapped_column(String(255))
    #: random file name in the evidence folder
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: checked media type
    content_type: Mapped[str] = mapped_column(String(128))
    #: size in bytes
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: who uploaded it
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BonusPenalty(db.Model):
    """Bonus and penalty points of a unit in a round, within the criteria set's caps."""

    __tablename__ = "bonus_penalties"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id"),
        CheckConstraint("bonus >= 0 AND penalty >= 0", name="nonneg"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: the unit
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: bonus points (≤ the set's cap)
    bonus: Mapped[float] = mapped_column(POINTS, default=0)
    #: penalty points (≤ the set's cap)
    penalty: Mapped[float] = mapped_column(POINTS, default=0)
    #: why the bonus was given
    bonus_reason: Mapped[str | None] = mapped_column(Text)
    #: why the penalty was given
    penalty_reason: Mapped[str | None] = mapped_column(Text)
