"""The outbox dispatcher: committed job rows → Celery (or run in-process when embedded)."""

from __future__ import annotations

import logging
import threading

from celery import Celery
from sqlalchemy import select

from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.extensions import db

log = logging.getLogger(__name__)


def dispatch_pending(celery: Celery, limit: int = 100) -> int:
    """Hand due pending jobs to the broker; returns how many were sent."""
    stmt = (
        select(Job)
        .where(Job.state == "pending", Job.run_after <= utcnow())
        .order_by(Job.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    sent = 0
    for job in db.session.scalars(stmt).all():
        job.state = "dispatched"
        job.attempts += 1
        call = (job.id, job.task, dict(job.payload))
        db.session.commit()
        # Plain values, not the expired row: reading it would open a transaction that
        # (on SQLite, BEGIN IMMEDIATE) locks out the eager task's own session.
        _send(celery, *call)
        sent += 1
    return sent


def _send(celery: Celery, job_id: int, name: str, payload: dict) -> None:
    task = celery.tasks.get(name)
    if task is None:
        _finish(db.session.get(Job, job_id), "failed", f"unknown task {name}")
        return
    try:
        if celery.conf.task_always_eager:
            task.apply(kwargs={"job_id": job_id, **payload}, throw=True)
            _finish(db.session.get(Job, job_id), "done")
        else:
            task.apply_async(kwargs={"job_id": job_id, **payload})
    except Exception as exc:  # noqa: BLE001 — the job records the error; the loop goes on
        log.exception("job %s (%s) failed", job_id, name)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        state = "failed" if job.attempts >= job.max_attempts else "pending"
        _finish(job, state, f"{type(exc).__name__}: {exc}")


def _finish(job: Job, state: str, error: str | None = None) -> None:
    job.state, job.error = state, error
    db.session.commit()


class EmbeddedWorker(threading.Thread):
    """Runs the dispatcher in the web process for the embedded default (no broker)."""

    def __init__(self, app, celery: Celery, interval: float = 2.0) -> None:
        super().__init__(name="parindex-embedded-worker", daemon=True)
        self.app, self.celery, self.interval = app, celery, interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    dispatch_pending(self.celery)
                except Exception:  # noqa: BLE001 — keep serving; the next tick retries
                    log.exception("embedded dispatcher tick failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
