"""Cross-cutting models: the append-only audit log, the background-job outbox and the
scheduler's heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

JOB_STATES = ("pending", "dispatched", "running", "done", "failed")


class AuditEntry(db.Model):
    """One change to stored data: who, when, what, old → new, why. Never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_unit_round", "unit_id", "round_id"),
    )

    #: surrogate key, also the order of events
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: when the change was made (UTC)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the account that made it; null for the system (imports, scheduled jobs)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: human-readable actor, kept when the account is gone (e-mail or "system")
    actor: Mapped[str] = mapped_column(String(255))
    #: what happened, a dotted verb such as ``assessment.appraise``
    action: Mapped[str] = mapped_column(String(64))
    #: kind of object changed, such as ``self_assessment``
    object_type: Mapped[str] = mapped_column(String(64))
    #: id of the object changed, as text (ids of different tables)
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: the unit the change concerns, for the per-unit trail
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    #: the round the change concerns
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    #: values before the change (null for a creation)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: values after the change (null for a deletion)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the reason given, where the workflow requires one
    reason: Mapped[str | None] = mapped_column(Text)


class Job(db.Model):
    """Background work, written in the transaction that needs it (the outbox).

    A dispatcher hands pending jobs to the broker; a reconciler re-sends jobs left
    ``dispatched`` too long, so an emptied broker delays work but never loses it.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        check_in("state", JOB_STATES, "state_valid"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    #: surrogate key, sent to the worker (tasks receive ids, never objects)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the Celery task name, such as ``parindex.aggregate_round``
    task: Mapped[str] = mapped_column(String(128))
    #: JSON arguments of the task (ids and flags only)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: pending → dispatched → running → done | failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    #: unique key that makes an enqueue idempotent (e.g. a schedule slot); null if none
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: deliveries so far; a job above ``max_attempts`` is failed, not retried forever
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: cap on deliveries
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    #: not to be dispatched before this time (backoff, schedules)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the job was written
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last state change
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: a running job belongs to its worker until then; the worker extends it while it works,
    #: and an expired lease (a dead worker) lets the reconciler hand the job out again
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: units of work finished, for progress bars
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    #: units of work in all (0 while unknown)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    #: what the job produced, for whoever waits on it (e.g. ``{"run_id": 7}``)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the last error, for a failed job
    error: Mapped[str | None] = mapped_column(Text)


class Tick(db.Model):
    """The last time a periodic loop ran (the scheduler's tick), for health checks."""

    __tablename__ = "ticks"

    #: which loop, such as ``tick``
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: when it last ran (UTC)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
