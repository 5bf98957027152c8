"""Celery beat: the outbox tick and the scheduled work, each run once per period.

Beat only *asks*: every scheduled task enqueues its job with a key naming the period
(``nightly:2026-11-26:round-3``), and the unique key makes a second scheduler's ask a
no-op. So two beats (a mistake that happens in real deployments) still run each job once.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from celery.schedules import crontab
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.core import jobs
from survey_app.core.db import utcnow
from survey_app.core.ticks import record_tick
from survey_app.core.times import local_zone
from survey_app.extensions import db
from survey_app.rounds.models import Round
from worker import outbox

log = logging.getLogger(__name__)


TICK = "parindex.tick"
NIGHTLY = "parindex.schedule_nightly"
DUE = "parindex.schedule_due"
REMINDERS = "parindex.schedule_reminders"
MAIL_RETRIES = "parindex.schedule_mail_retries"
SWEEP = "parindex.schedule_sweep"

BEAT_SCHEDULE = {
    "outbox-tick": {"task": TICK, "schedule": 5.0},
    "nightly-provisional-aggregation": {"task": NIGHTLY, "schedule": crontab(hour=1, minute=0)},
    "open-and-close-due-rounds": {"task": DUE, "schedule": crontab(minute="*")},
    "reminders": {"task": REMINDERS, "schedule": crontab(hour=9, minute=0)},
    "mail-retries": {"task": MAIL_RETRIES, "schedule": crontab(minute="*")},
    "sweep-evidence": {"task": SWEEP, "schedule": crontab(minute=17)},
}


def enqueue_once(task: str, payload: dict, key: str) -> bool:
    """Enqueue unless a job with ``key`` exists (another scheduler was first)."""
    try:
        with db.session.begin_nested():
            jobs.enqueue(task, payload, dedupe_key=key)
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def _today() -> str:
    """The ministry's date (``PARINDEX_TIMEZONE``): the nightly run and the reminders
    follow local time, as beat's crontabs do (the Celery app's timezone is the same)."""
    return dt.datetime.now(local_zone()).date().isoformat()


def _open_rounds() -> list[int]:
    return list(db.session.scalars(select(Round.id).where(Round.state == "open")))


@shared_task(name=TICK)
def tick() -> int:
    """Record the tick (health checks read it), reconcile stale jobs, dispatch pending ones."""
    record_tick()
    outbox.reconcile()
    return outbox.dispatch_pending(current_app.extensions["celery"])


@shared_task(name=NIGHTLY)
def schedule_nightly() -> int:
    """Provisional figures of every open round, once a night."""
    day = _today()
    made = sum(
        enqueue_once(
            jobs.AGGREGATE_ROUND, {"round_id": r, "is_final": False}, f"nightly:{day}:round-{r}"
        )
        for r in _open_rounds()
    )
    outbox.dispatch_soon()
    return made


@shared_task(name=DUE)
def schedule_due(slot: str | None = None) -> int:
    """Open and close rounds whose time has come (once a minute), then final runs."""
    minute = slot or utcnow().strftime("%Y-%m-%dT%H:%M")
    made = enqueue_once(jobs.CLOSE_DUE_ROUNDS, {}, f"due:{minute}")
    for r in db.session.scalars(select(Round.id).where(Round.state == "closed")):
        made += enqueue_once(
            jobs.AGGREGATE_ROUND, {"round_id": r, "is_final": True}, f"final:round-{r}"
        )
    outbox.dispatch_soon()
    return int(made)


@shared_task(name=REMINDERS)
def schedule_reminders() -> int:
    """Reminders to those invited who have not answered, once a day per open round."""
    day = _today()
    made = sum(
        enqueue_once(jobs.SEND_REMINDERS, {"round_id": r}, f"remind:{day}:round-{r}")
        for r in _open_rounds()
    )
    outbox.dispatch_soon()
    return made


@shared_task(name=MAIL_RETRIES)
def schedule_mail_retries(slot: str | None = None) -> int:
    """Mails that failed and whose next attempt is due, once a minute per round."""
    from survey_app.invitations.sending import rounds_with_due_mail

    minute = slot or utcnow().strftime("%Y-%m-%dT%H:%M")
    made = sum(
        enqueue_once(jobs.SEND_DUE_MAILS, {"round_id": r}, f"mail:{minute}:round-{r}")
        for r in rounds_with_due_mail()
    )
    outbox.dispatch_soon()
    return made


@shared_task(name=SWEEP)
def schedule_sweep() -> int:
    """Evidence files with no row (a crash between write and commit), once an hour."""
    hour = utcnow().strftime("%Y-%m-%dT%H")
    made = enqueue_once(jobs.SWEEP_EVIDENCE, {}, f"sweep:{hour}")
    outbox.dispatch_soon()
    return int(made)


class EmbeddedSchedule:
    """Beat's schedule for the embedded mode (``parindex serve``, no beat process): the same
    entries, asked when due, so rounds open and close on time, reminders go out at 09:00
    and evidence is swept without Redis or Celery. ``outbox-tick`` is the embedded loop
    itself. Like beat after a restart, an entry is first due at its next time after start.
    """

    SKIP = frozenset({"outbox-tick"})

    def __init__(self, now: dt.datetime, schedule: dict = BEAT_SCHEDULE) -> None:
        self.entries = {k: v for k, v in schedule.items() if k not in self.SKIP}
        self.last = dict.fromkeys(self.entries, now)

    def due(self, now: dt.datetime) -> list[str]:
        """Names of the entries whose time has come since they last ran; marks them run."""
        found = []
        for name, entry in self.entries.items():
            if now >= self.next_time(entry["schedule"], self.last[name], now.tzinfo):
                found.append(name)
                self.last[name] = now
        return found

    @staticmethod
    def next_time(schedule, last: dt.datetime, tz) -> dt.datetime:
        if isinstance(schedule, int | float):
            return last + dt.timedelta(seconds=schedule)
        last_tz, delta, _now = schedule.remaining_delta(last, tz=tz)
        return last_tz + delta

    def run_due(self, now: dt.datetime) -> list[str]:
        """Run the due entries here (their tasks only enqueue, deduplicated per period)."""
        from celery import current_app as celery

        names = self.due(now)
        for name in names:
            celery.tasks[self.entries[name]["task"]].run()
        return names
