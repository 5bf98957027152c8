"""Running a job exactly once at a time: claim with a lease, record the outcome.

A delivery claims its job with one conditional UPDATE: pending or dispatched, or running
with an expired lease (its worker died). Every claim counts as an attempt; a job past its
``max_attempts`` is failed (a poison message is not retried forever). Errors that may pass
(a database or broker connection) put the job back with exponential backoff; any other
error fails it at once with the error recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import or_, update
from sqlalchemy.exc import DBAPIError, OperationalError

from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.extensions import db

log = logging.getLogger(__name__)

#: A running job's lease (PARINDEX_JOB_LEASE_SECONDS); a heartbeat renews it every third
#: of that while the job works.
DEFAULT_LEASE = dt.timedelta(seconds=30)


def lease() -> dt.timedelta:
    from flask import current_app

    return dt.timedelta(
        seconds=current_app.config.get("JOB_LEASE_SECONDS", DEFAULT_LEASE.total_seconds())
    )


class Transient(Exception):
    """Raised by work that should be retried later (with backoff)."""


TRANSIENT = (Transient, OperationalError, ConnectionError, TimeoutError)


def backoff(attempts: int) -> dt.timedelta:
    """Exponential backoff before the next attempt: 2, 4, 8 … seconds, at most 10 minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts, 1), 600))


def claim(job_id: int) -> Job | None:
    """Take the job for this delivery, or None if it is done, failed or held by a live worker."""
    now = utcnow()
    stmt = (
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.state.in_(("pending", "dispatched")),
                (Job.state == "running") & (Job.lease_until < now),
            ),
        )
        .values(
            state="running", lease_until=now + lease(), attempts=Job.attempts + 1, updated_at=now
        )
        .returning(Job.id)
    )
    claimed = db.session.execute(stmt).scalar()
    db.session.commit()
    if claimed is None:
        return None
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    if job.attempts > job.max_attempts:
        _settle(job_id, "failed", f"gave up after {job.max_attempts} deliveries")
        return None
    return job


def run_job(job_id: int | None, work: Callable[[], object]) -> object:
    """Run ``work`` for job ``job_id`` (None when called directly), recording its outcome."""
    if job_id is None:
        return work()
    if claim(job_id) is None:
        log.info("job %s not claimed (done, failed or running elsewhere)", job_id)
        return None
    with Heartbeat(job_id):
        try:
            result = work()
        except TRANSIENT as exc:
            _retry_later(job_id, exc)
            raise
        except Exception as exc:
            _settle(job_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
    _settle(job_id, "done", result=result if isinstance(result, dict) else None)
    return result


def _retry_later(job_id: int, exc: BaseException) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    job.error = f"{type(exc).__name__}: {exc}"
    job.state = "failed" if job.attempts >= job.max_attempts else "pending"
    job.run_after, job.lease_until = utcnow() + backoff(job.attempts), None
    db.session.commit()


def _settle(job_id: int, state: str, error: str | None = None, result: dict | None = None) -> None:
    try:
        db.session.rollback()
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state=state, error=error, result=result, lease_until=None, updated_at=utcnow())
        )
        db.session.commit()
    except DBAPIError:  # the outcome is lost; the lease expires and the job is re-run
        db.session.rollback()
        log.exception("could not record the outcome of job %s", job_id)


class Heartbeat:
    """Renews a running job's lease from a thread (own connection) while the work runs."""

    def __init__(self, job_id: int) -> None:
        from flask import current_app

        self.job_id, self.app = job_id, current_app._get_current_object()
        self.lease = lease()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"lease-{job_id}")

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        while not self.stop.wait(self.lease.total_seconds() / 3):
            with self.app.app_context():
                try:
                    with db.engine.begin() as conn:
                        conn.execute(
                            update(Job)
                            .where(Job.id == self.job_id, Job.state == "running")
                            .values(lease_until=utcnow() + self.lease)
                        )
                except DBAPIError:
                    log.warning("lease of job %s not renewed", self.job_id)
