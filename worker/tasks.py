"""Celery tasks: thin wrappers that receive ids and call the pipeline or an operation."""

from __future__ import annotations

from celery import shared_task

from survey_app.core import jobs


@shared_task(name=jobs.PING)
def ping(job_id: int | None = None) -> str:
    """A no-op used to check that dispatch and workers are alive."""
    return "pong"


@shared_task(name=jobs.SEND_INVITATIONS)
def send_invitations(round_id: int, job_id: int | None = None) -> int:
    """E-mail links to everyone of the round not yet sent one."""
    from survey_app.invitations.sending import send_invitations as send
    from survey_app.rounds.queries import find_round

    rnd = find_round(round_id)
    return send(rnd) if rnd is not None else 0


@shared_task(name=jobs.SEND_REMINDERS)
def send_reminders(round_id: int, job_id: int | None = None) -> int:
    """E-mail reminders to everyone of the round invited who has not answered."""
    from survey_app.invitations.sending import send_reminders as remind
    from survey_app.rounds.queries import find_round

    rnd = find_round(round_id)
    return remind(rnd) if rnd is not None else 0


@shared_task(name=jobs.CLOSE_DUE_ROUNDS)
def close_due_rounds(job_id: int | None = None) -> int:
    """Open rounds whose time has come and close those past their closing time."""
    from survey_app.extensions import db
    from survey_app.rounds.operations import advance_due_rounds

    changed = advance_due_rounds()
    db.session.commit()
    return len(changed)
