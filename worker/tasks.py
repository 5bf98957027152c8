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


@shared_task(name=jobs.SEND_INVITATIONS)
def send_invitations(round_id: int, job_id: int | None = None) -> int:
    """E-mail links to everyone of the round not yet sent one."""
    from survey_app.invitations.sending import send_invitations as send

    return run_job(job_id, lambda: _with_round(round_id, send))


@shared_task(name=jobs.SEND_REMINDERS)
def send_reminders(round_id: int, job_id: int | None = None) -> int:
    """E-mail reminders to everyone of the round invited who has not answered."""
    from survey_app.invitations.sending import send_reminders as remind

    return run_job(job_id, lambda: _with_round(round_id, remind))


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


def _with_round(round_id: int, operation) -> int:
    from survey_app.extensions import db
    from survey_app.rounds.queries import find_round

    rnd = find_round(round_id)
    result = operation(rnd) if rnd is not None else 0
    db.session.commit()
    return result
