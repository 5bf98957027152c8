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
    """Hand due pending jobs to the broker; returns how many were sent.

    Each job is marked ``dispatched`` and committed before it is sent, and nothing of
    the session is touched while it runs: on SQLite an open transaction would hold the
    write lock that the task (in its own session) needs.
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
        job.state = "dispatched"
        job.attempts += 1
        refs.append((job.id, job.task, dict(job.payload)))
    db.session.commit()
    for ref in refs:
        _send(celery, *ref)
    return len(refs)


def _send(celery: Celery, job_id: int, name: str, payload: dict) -> None:
    task = celery.tasks.get(name)
    if task is None:
        _finish(job_id, "failed", f"unknown task {name}")
        return
    try:
        if celery.conf.task_always_eager:
            task.apply(kwargs={"job_id": job_id, **payload}, throw=True)
        else:
            task.apply_async(kwargs={"job_id": job_id, **payload})
    except Exception as exc:  # noqa: BLE001 — the job records the error; the loop goes on
        log.error("job %s (%s) failed: %s", job_id, name, type(exc).__name__)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        if job.state not in ("failed", "pending"):  # run_job records errors it saw itself
            state = "failed" if job.attempts >= job.max_attempts else "pending"
            _finish(job_id, state, f"{type(exc).__name__}: {exc}")
    finally:
        db.session.commit()


def _finish(job_id: int, state: str, error: str | None = None) -> None:
    job = db.session.get(Job, job_id)
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
