"""The outbox: committed job rows → Celery; stale jobs handed out again.

The ``jobs`` table is the source of truth for work. ``dispatch_pending`` sends due
pending jobs; ``reconcile`` puts back jobs whose message may be gone (a Redis restart
empties the queue) or whose worker died (its lease expired). Sending a job twice is
harmless: a delivery first claims its job (``worker.jobs.claim``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from celery import Celery
from flask import current_app
from sqlalchemy import and_, or_, select, update

from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.core.ticks import record_tick
from survey_app.core.times import local_zone
from survey_app.extensions import db

log = logging.getLogger(__name__)

#: How often the embedded loop (which turns every second) records its tick.
TICK_RECORD_SECONDS = 5.0


def dispatch_pending(celery: Celery, limit: int = 500) -> int:
    """Hand due pending jobs to the broker; returns how many were sent.

    Each job is marked ``dispatched`` and committed before it is sent, and nothing of
    the session is touched while an eager (embedded) task runs: on SQLite an open
    transaction would hold the write lock that the task's own session needs. A broker
    that refuses the message leaves the job pending for the next round.
    """
    stmt = (
        select(Job)
        .where(Job.state == "pending", Job.run_after <= utcnow())
        .order_by(Job.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    refs = []
    for job in db.session.scalars(stmt).all():
        job.state, job.updated_at = "dispatched", utcnow()
        refs.append((job.id, job.task, dict(job.payload)))
    db.session.commit()
    sent = 0
    for ref in refs:
        sent += _send(celery, *ref)
    return sent


def _send(celery: Celery, job_id: int, name: str, payload: dict) -> int:
    task = celery.tasks.get(name)
    if task is None:
        _set_state(job_id, "failed", f"unknown task {name}")
        return 0
    try:
        if celery.conf.task_always_eager:
            task.apply(kwargs={"job_id": job_id, **payload}, throw=False)
        else:
            task.apply_async(kwargs={"job_id": job_id, **payload}, retry=False)
        return 1
    except Exception as exc:  # noqa: BLE001 — broker down: the job waits for the next round
        log.warning("job %s (%s) not sent: %s", job_id, name, type(exc).__name__)
        _set_state(job_id, "pending", f"not sent: {type(exc).__name__}")
        return 0


def _set_state(job_id: int, state: str, error: str | None) -> None:
    db.session.rollback()
    db.session.execute(
        update(Job).where(Job.id == job_id).values(state=state, error=error, updated_at=utcnow())
    )
    db.session.commit()


def reconcile(redispatch_after: dt.timedelta | None = None) -> int:
    """Put back jobs left ``dispatched`` too long, and running jobs whose lease expired."""
    wait = redispatch_after or dt.timedelta(
        seconds=current_app.config.get("JOB_REDISPATCH_SECONDS", 120)
    )
    now = utcnow()
    stale = or_(
        and_(Job.state == "dispatched", Job.updated_at < now - wait),
        and_(Job.state == "running", Job.lease_until < now),
    )
    count = db.session.execute(
        update(Job).where(stale).values(state="pending", updated_at=now)
    ).rowcount
    db.session.commit()
    if count:
        log.warning("%s job(s) handed out again (lost message or dead worker)", count)
    return count


def dispatch_soon() -> None:
    """From inside a task: send the jobs it just enqueued (a no-op when embedded, where the
    in-process loop picks them up, so eager tasks do not nest)."""
    celery = current_app.extensions.get("celery")
    if celery is not None and not celery.conf.task_always_eager:
        dispatch_pending(celery)


class EmbeddedWorker(threading.Thread):
    """Runs the outbox in the web process for the embedded default (no broker).

    It is also this mode's scheduler, so it must not die: a tick that fails is logged and
    retried a second later, and anything that escapes a tick (a rollback or a session
    cleanup that fails while the database is away) restarts the loop after
    ``RESTART_SECONDS`` instead of ending the thread for good. A scheduler that stays silent
    all the same shows on the overview, ``/healthz?deep=1`` and ``parindex status``.
    """

    #: Pause before the loop starts again after an error escaped it.
    RESTART_SECONDS = 5.0

    def __init__(self, app, celery: Celery, interval: float = 1.0) -> None:
        super().__init__(name="parindex-embedded-worker", daemon=True)
        self.app, self.celery, self.interval = app, celery, interval
        self.stopping = threading.Event()
        #: How many times the loop was started again after an error.
        self.restarts = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._loop()
            except Exception:  # noqa: BLE001 — the scheduler of this mode: start it again
                self.restarts += 1
                log.critical(
                    "embedded worker stopped by an error; starting again in %s s",
                    self.RESTART_SECONDS,
                    exc_info=True,
                )
                self.stopping.wait(self.RESTART_SECONDS)

    def _loop(self) -> None:
        from worker.schedules import EmbeddedSchedule

        recorded = 0.0
        with self.app.app_context():
            schedule = EmbeddedSchedule(dt.datetime.now(local_zone()))
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    if time.monotonic() - recorded >= TICK_RECORD_SECONDS:
                        record_tick()  # the embedded loop is this mode's scheduler
                        recorded = time.monotonic()
                        schedule.run_due(dt.datetime.now(local_zone()))
                    reconcile()
                    busy = dispatch_pending(self.celery)
                except Exception:  # noqa: BLE001 — keep serving; the next tick retries
                    log.exception("embedded worker tick failed")
                    db.session.rollback()
                    busy = 0
                finally:
                    db.session.remove()
            if not busy:
                self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def drain(celery: Celery, until=lambda: False, max_rounds: int = 10_000) -> None:
    """Embedded mode, in the foreground: dispatch until nothing is pending or ``until()``."""
    for _ in range(max_rounds):
        if until() or not dispatch_pending(celery):
            return
