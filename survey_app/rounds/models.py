"""Survey rounds, what they score and the sampling frame they weight to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

ROUND_STATES = ("draft", "open", "closed", "published")

round_criteria_sets = Table(
    "round_criteria_sets",
    db.metadata,
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("criteria_set_id", ForeignKey("criteria_sets.id"), primary_key=True),
)

round_units = Table(
    "round_units",
    db.metadata,
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class Round(db.Model):
    """A survey round: draft → open → closed → published. Frozen once open."""

    __tablename__ = "rounds"
    __table_args__ = (
        check_in("state", ROUND_STATES, "state_valid"),
        CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="window_ordered"
        ),
    )

    #: surrogate key, the ROUND argument of ``parindex rounds …``
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: display name, such as "Khảo sát CCHC 2018"
    name: Mapped[str] = mapped_column(String(255))
    #: the questionnaire respondents answer
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: draft, open, closed or published
    state: Mapped[str] = mapped_column(String(16), default="draft")
    #: when responses start to be accepted (UTC)
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when the round closes automatically (UTC)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: deadline for submitting self-assessments (UTC); null means ``closes_at`` applies
    self_deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when it was created
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it was closed, by hand or on schedule
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when its figures were published
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the year of the ministry's own index, when one is compared
    ministry_index: Mapped[float | None] = mapped_column(Float)

    questionnaire = relationship("Questionnaire")
    criteria_sets = relationship(
        "CriteriaSet", secondary=round_criteria_sets, order_by="CriteriaSet.code"
    )
    units = relationship("Unit", secondary=round_units, order_by="Unit.code")
    frame: Mapped[list[FrameStratum]] = relationship(
        cascade="all, delete-orphan", order_by="FrameStratum.stratum"
    )
    margins: Mapped[list[PopulationMargin]] = relationship(cascade="all, delete-orphan")

    @property
    def is_frozen(self) -> bool:
        return self.state != "draft"

    @hybrid_method
    def accepts_answers(self, now: dt.datetime) -> bool:
        """Open, and not past its closing time at ``now`` (even if the closing job has not
        run yet). The one definition: in Python on a round, in SQL on the class (every
        query of a link, a save and a submit uses it)."""
        return self.state == "open" and (self.closes_at is None or self.closes_at > now)

    @accepts_answers.expression
    def accepts_answers(cls, now):  # noqa: N805 (the class, as SQLAlchemy passes it)
        return and_(cls.state == "open", or_(cls.closes_at.is_(None), cls.closes_at > now))


class FrameStratum(db.Model):
    """A stratum of the sampling frame and the people it stands for."""

    __tablename__ = "frame_strata"
    __table_args__ = (
        UniqueConstraint("round_id", "stratum"),
        CheckConstraint("population > 0", name="population_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: stratum code, as in the respondent list
    stratum: Mapped[str] = mapped_column(String(64))
    #: number of people in the stratum
    population: Mapped[float] = mapped_column(Float)


class PopulationMargin(db.Model):
    """A known population count of one level of a raking variable."""

    __tablename__ = "population_margins"
    __table_args__ = (
        UniqueConstraint("round_id", "variable", "level"),
        CheckConstraint("count > 0", name="count_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: respondent attribute, such as ``sex``
    variable: Mapped[str] = mapped_column(String(64))
    #: its level, such as ``F``
    level: Mapped[str] = mapped_column(String(64))
    #: people in the population with that level
    count: Mapped[float] = mapped_column(Float)
