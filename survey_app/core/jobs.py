"""Asking for background work: a job row in the caller's transaction (the outbox).

This is the only way the web app asks the worker for anything. The dispatcher (in
``worker/``) sends committed jobs to Celery, so the worker always sees the rows the
job refers to, and a broker that is down delays work without losing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.extensions import db

#: Task names, the contract between the web app and the worker.
AGGREGATE_ROUND = "parindex.aggregate_round"
SEND_INVITATIONS = "parindex.send_invitations"
SEND_REMINDERS = "parindex.send_reminders"
SEND_DUE_MAILS = "parindex.send_due_mails"
SWEEP_EVIDENCE = "parindex.sweep_evidence"
CLOSE_DUE_ROUNDS = "parindex.close_due_rounds"
MAP_CHUNK = "parindex.map_chunk"
REDUCE_RUN = "parindex.reduce_run"
PING = "parindex.ping"


def enqueue(
    task: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job to the current transaction; an existing ``dedupe_key`` returns that job."""
    if dedupe_key is not None:
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    job = Job(
        task=task,
        payload=payload or {},
        dedupe_key=dedupe_key,
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    db.session.add(job)
    db.session.flush()
    return job
