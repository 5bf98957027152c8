"""Celery tasks: thin wrappers that receive ids and call the pipeline or an operation."""

from __future__ import annotations

from celery import shared_task

from survey_app.core import jobs
from worker.jobs import run_job
from worker.pipeline import aggregate_round


@shared_task(name=jobs.PING)
def ping(job_id: int | None = None) -> str:
    """A no-op used to check that dispatch and workers are alive."""
    return run_job(job_id, lambda: "pong")


@shared_task(name=jobs.AGGREGATE_ROUND)
def aggregate_round_task(
    job_id: int | None = None, round_id: int = 0, is_final: bool = False
) -> int:
    """Aggregate a round; returns the id of the run."""
    return run_job(job_id, lambda: aggregate_round(round_id, is_final=is_final).id)
