"""Job bookkeeping around a task: running → done | failed, with a cap on attempts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.extensions import db

log = logging.getLogger(__name__)


def run_job(job_id: int | None, work: Callable[[], object]) -> object:
    """Run ``work`` for job ``job_id`` (None when called directly), recording its outcome.

    A job that is already done is not run again (a redelivered message after a crash).
    """
    job = db.session.get(Job, job_id) if job_id is not None else None
    if job is not None and job.state == "done":
        return None
    if job is not None:
        job.state = "running"
        db.session.commit()
    try:
        result = work()
    except Exception as exc:
        db.session.rollback()
        if job is not None:
            job = db.session.get(Job, job_id)
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed" if job.attempts >= job.max_attempts else "pending"
            job.run_after = utcnow() + backoff(job.attempts)
            db.session.commit()
        raise
    if job is not None:
        job.state, job.error = "done", None
        db.session.commit()
    return result


def backoff(attempts: int) -> dt.timedelta:
    """Exponential backoff before the next attempt: 2, 4, 8 … seconds, at most 10 minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts, 1), 600))
