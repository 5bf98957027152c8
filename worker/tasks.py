"""Celery tasks: thin wrappers that receive ids and call the pipeline or an operation.

The pipeline (numpy, scipy, pandas: a second and more to import) is imported by the tasks
that run it, so that a process that only sends tasks (``parindex rounds aggregate``) starts
quickly; ``parindex worker`` imports it before it takes its first task.
"""

from __future__ import annotations

from celery import shared_task

from survey_app.core import jobs
from worker import outbox
from worker.jobs import run_job


@shared_task(name=jobs.PING)
def ping(job_id: int | None = None) -> str:
    """A no-op used to check that dispatch and workers are alive."""
    return run_job(job_id, lambda: "pong")


@shared_task(name=jobs.AGGREGATE_ROUND)
def aggregate_round_task(
    job_id: int | None = None,
    round_id: int = 0,
    is_final: bool = False,
    chunk_size: int | None = None,
    exclude_bursts: bool = False,
) -> dict:
    """Plan a run of the round in chunks; the map jobs follow through the outbox."""
    from worker import pipeline

    def work() -> dict:
        size = chunk_size or pipeline.CHUNK_SIZE
        run = pipeline.start_run(
            round_id, is_final=is_final, chunk_size=size, exclude_bursts=exclude_bursts
        )
        return {"run_id": run.id}

    result = run_job(job_id, work)
    outbox.dispatch_soon()
    return result


@shared_task(name=jobs.MAP_CHUNK)
def map_chunk_task(job_id: int | None = None, run_id: int = 0, chunk_no: int = 0) -> dict:
    """Partial sums of one chunk of a run; the last chunk enqueues the reduce."""
    from worker import pipeline

    result = run_job(job_id, lambda: {"last": pipeline.map_chunk(run_id, chunk_no)})
    if result and result.get("last"):
        outbox.dispatch_soon()
    return result


@shared_task(name=jobs.REDUCE_RUN)
def reduce_run_task(job_id: int | None = None, run_id: int = 0) -> dict:
    """Merge a run's chunks, compute the index and store it."""
    from worker import pipeline

    def work() -> dict:
        run = pipeline.reduce_run(run_id)
        return {"run_id": run.id if run is not None else None}

    return run_job(job_id, work)


@shared_task(name=jobs.SEND_INVITATIONS)
def send_invitations(round_id: int, job_id: int | None = None) -> dict:
    """E-mail links to everyone of the round not yet sent one."""
    from survey_app.invitations.sending import send_invitations as send

    return run_job(job_id, lambda: _with_round(round_id, send))


@shared_task(name=jobs.SEND_REMINDERS)
def send_reminders(round_id: int, job_id: int | None = None) -> dict:
    """E-mail reminders to everyone of the round invited who has not answered."""
    from survey_app.invitations.sending import send_reminders as remind

    return run_job(job_id, lambda: _with_round(round_id, remind))


@shared_task(name=jobs.SEND_DUE_MAILS)
def send_due_mails(round_id: int, job_id: int | None = None) -> dict:
    """Retry the round's mails that failed and whose next attempt is due."""
    from survey_app.invitations.sending import send_due

    return run_job(job_id, lambda: _with_round(round_id, send_due))


@shared_task(name=jobs.SWEEP_EVIDENCE)
def sweep_evidence(job_id: int | None = None) -> dict:
    """Remove evidence files that no row names (older than the grace period)."""
    from survey_app.assessments.evidence import sweep_evidence as sweep

    return run_job(job_id, lambda: {"removed": sweep()})


@shared_task(name=jobs.CLOSE_DUE_ROUNDS)
def close_due_rounds(job_id: int | None = None) -> int:
    """Open rounds whose time has come and close those past their closing time."""
    from survey_app.extensions import db
    from survey_app.rounds.operations import advance_due_rounds

    def work() -> int:
        changed = advance_due_rounds()
        db.session.commit()
        return len(changed)

    return run_job(job_id, work)


def _with_round(round_id: int, operation) -> dict:
    from survey_app.extensions import db
    from survey_app.rounds.queries import find_round

    rnd = find_round(round_id)
    result = operation(rnd).as_dict() if rnd is not None else {}
    db.session.commit()
    return result
