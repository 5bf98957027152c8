"""The scheduler's heartbeat: each tick records its time; health checks read how long
the scheduler has been silent (dashboard, ``/healthz?deep=1``, ``parindex status``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from survey_app.core.db import utcnow
from survey_app.core.models import Job, Tick
from survey_app.extensions import db

#: The row the outbox tick writes (beat's ``outbox-tick``, or the embedded loop).
TICK = "tick"


def record_tick(now: dt.datetime | None = None) -> None:
    """Store the time of this tick (one row, updated in place); commits."""
    now = now or utcnow()
    if not db.session.execute(update(Tick).where(Tick.name == TICK).values(beat_at=now)).rowcount:
        try:
            with db.session.begin_nested():
                db.session.add(Tick(name=TICK, beat_at=now))
        except IntegrityError:  # another scheduler wrote the first row meanwhile
            pass
    db.session.commit()


@dataclass(frozen=True)
class SchedulerHealth:
    """When the scheduler last ticked, and whether that is too long ago."""

    last_tick: dt.datetime | None
    #: whole seconds since the last tick (None when it never ticked)
    silent_for: int | None
    #: ``SCHEDULER_SILENT_SECONDS``
    threshold: int
    #: jobs waiting longer than the threshold (what a silent scheduler leaves undone)
    jobs_waiting: int

    @property
    def is_silent(self) -> bool:
        return self.silent_for is None or self.silent_for > self.threshold

    @property
    def needs_attention(self) -> bool:
        """Silent, and either it ran before or work waits for it (a fresh install that
        has never started a scheduler and has nothing to do is not worth a warning)."""
        return self.is_silent and (self.last_tick is not None or self.jobs_waiting > 0)

    def message(self) -> str:
        """One line, English (the CLI and the health check; pages translate their own)."""
        if self.silent_for is None:
            return "scheduler has never ticked"
        if self.is_silent:
            return f"scheduler silent for {self.silent_for} s"
        return f"scheduler ticked {self.silent_for} s ago"


def get_scheduler_health(now: dt.datetime | None = None) -> SchedulerHealth:
    now = now or utcnow()
    threshold = current_app.config.get("SCHEDULER_SILENT_SECONDS", 60)
    last = db.session.scalar(select(Tick.beat_at).where(Tick.name == TICK))
    silent = None if last is None else max(0, int((now - last).total_seconds()))
    stale = now - dt.timedelta(seconds=threshold)
    waiting = db.session.scalar(
        select(func.count()).where(Job.state == "pending", Job.run_after < stale)
    )
    return SchedulerHealth(last, silent, threshold, waiting or 0)
