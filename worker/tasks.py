"""Celery tasks: thin wrappers that receive ids and call the pipeline or an operation."""

from __future__ import annotations

from celery import shared_task

from survey_app.core import jobs


@shared_task(name=jobs.PING)
def ping(job_id: int | None = None) -> str:
    """A no-op used to check that dispatch and workers are alive."""
    return "pong"
