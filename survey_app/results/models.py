"""Aggregation runs and the unit and sub-criterion figures each run produced."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

RUN_STATES = ("queued", "running", "done", "failed")


class AggregationRun(db.Model):
    """One computation of a round's figures: versioned, hashed inputs, timings."""

    __tablename__ = "aggregation_runs"
    __table_args__ = (
        UniqueConstraint("round_id", "version"),
        check_in("state", RUN_STATES, "state_valid"),
        #: publication freezes one run per round; a second published run is refused
        Index(
            "uq_aggregation_runs_published_round_id",
            "round_id",
            unique=True,
            sqlite_where=text("is_published"),
            postgresql_where=text("is_published"),
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: 1, 2, … per round
    version: Mapped[int] = mapped_column(Integer)
    #: queued, running, done or failed
    state: Mapped[str] = mapped_column(String(16), default="queued")
    #: provisional (round open) or final (round closed)
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the run whose figures were frozen when the round was published (one per round)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    #: SHA-256 of responses, appraised scores, criteria sets and methodology
    inputs_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    #: ParIndex version that computed it
    code_version: Mapped[str] = mapped_column(String(64))
    #: settings of the method (seed, draws, level …)
    methodology: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: chunks finished, for the progress bar
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    #: chunks in all (0 while unknown)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    #: seconds spent per stage (load, map, reduce, index, persist)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: meta and summary of the output of ``parindex index``
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the error of a failed run
    error: Mapped[str | None] = mapped_column(Text)
    #: when it was requested
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it started computing
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when it finished
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    unit_results: Mapped[list[UnitResult]] = relationship(cascade="all, delete-orphan")
    subcriterion_results: Mapped[list[SubCriterionResult]] = relationship(
        cascade="all, delete-orphan"
    )


class UnitResult(db.Model):
    """A unit's index in a run, with its uncertainty and rank interval."""

    __tablename__ = "unit_results"
    __table_args__ = (UniqueConstraint("run_id", "unit_id"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the run
    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id", ondelete="CASCADE"))
    #: the unit
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: index, percent of the maximum
    index_value: Mapped[float] = mapped_column(Float)
    #: standard error of the index (percentage points)
    index_se: Mapped[float | None] = mapped_column(Float)
    #: 95% confidence interval, lower end
    index_ci_low: Mapped[float | None] = mapped_column(Float)
    #: 95% confidence interval, upper end
    index_ci_high: Mapped[float | None] = mapped_column(Float)
    #: rank within the unit kind, 1 = highest
    rank: Mapped[int] = mapped_column(Integer)
    #: 95% rank interval, best end
    rank_low: Mapped[int | None] = mapped_column(Integer)
    #: 95% rank interval, worst end
    rank_high: Mapped[int | None] = mapped_column(Integer)
    #: the full row of ``parindex index`` (points, areas, change, flags)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class SubCriterionResult(db.Model):
    """A unit's points on one sub-criterion in a run, with per-group survey figures."""

    __tablename__ = "subcriterion_results"
    __table_args__ = (UniqueConstraint("run_id", "unit_id", "subcriterion_code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the run
    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id", ondelete="CASCADE"))
    #: the unit
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: the sub-criterion's code in the unit's criteria set
    subcriterion_code: Mapped[str] = mapped_column(String(32))
    #: points earned
    points: Mapped[float] = mapped_column(Float)
    #: standard error of the points (survey sub-criteria)
    se: Mapped[float | None] = mapped_column(Float)
    #: the full row of ``parindex index`` (CI, groups, flags)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
