"""The embedded mode (``parindex serve``, no beat process) follows beat's schedule: rounds
open and close on time, reminders go out at 09:00 of the ministry's time, evidence is
swept hourly — the same entries, asked when due, each once per period."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from survey_app.core.db import utcnow
from survey_app.extensions import db
from worker.schedules import BEAT_SCHEDULE, EmbeddedSchedule

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=HANOI)


def test_each_entry_is_due_at_its_local_time_once_and_not_at_start():
    schedule = EmbeddedSchedule(_at(2, 8, 59, 30))
    assert schedule.due(_at(2, 8, 59, 50)) == []  # nothing at start, as beat after a restart
    assert set(schedule.due(_at(2, 9, 0, 5))) == {"open-and-close-due-rounds", "reminders",
                                                  "mail-retries"}  # fmt: skip
    assert schedule.due(_at(2, 9, 0, 10)) == []  # once per period
    assert set(schedule.due(_at(2, 9, 17, 1))) == {"open-and-close-due-rounds", "mail-retries",
                                                   "sweep-evidence"}  # fmt: skip
    assert "nightly-provisional-aggregation" not in schedule.due(_at(2, 23, 59))
    assert "nightly-provisional-aggregation" in schedule.due(_at(3, 1, 0, 4))
    assert "reminders" in schedule.due(_at(3, 9, 0, 4))
    assert BEAT_SCHEDULE.keys() - schedule.entries.keys() == {"outbox-tick"}  # the loop itself


def test_a_round_past_its_closing_time_is_closed_by_the_embedded_loop(sqlite_app):
    from survey_app.rounds.models import Round
    from tests.rounds.conftest import load_examples, make_round
    from worker.celery_app import celery_init_app
    from worker.outbox import drain

    celery = celery_init_app(sqlite_app)  # the embedded broker: tasks run in this process

    with sqlite_app.app_context():
        load_examples()
        round_id = make_round()
        rnd = db.session.get(Round, round_id)
        rnd.opens_at = utcnow() - dt.timedelta(hours=1)
        rnd.closes_at = utcnow() - dt.timedelta(minutes=5)
        db.session.commit()
        now = dt.datetime.now(HANOI)
        schedule = EmbeddedSchedule(now - dt.timedelta(minutes=2))
        assert "open-and-close-due-rounds" in schedule.run_due(now)
        drain(celery)
        db.session.expire_all()
        assert db.session.get(Round, round_id).state in {"closed", "final"}


def test_the_embedded_loop_survives_an_error_that_escapes_a_tick(sqlite_app, monkeypatch, caplog):
    """With the database away, a tick fails and so does the rollback after it: the loop
    starts again instead of leaving ``parindex serve`` without a scheduler."""
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    from survey_app.core.models import Tick
    from worker import outbox
    from worker.celery_app import celery_init_app

    celery = celery_init_app(sqlite_app)
    failures = {"reconcile": 1, "rollback": 1}

    def fails_once(name, real):
        def call(*args, **kwargs):
            if failures[name]:
                failures[name] -= 1
                raise OperationalError("SELECT 1", {}, Exception("database is away"))
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(outbox, "reconcile", fails_once("reconcile", outbox.reconcile))
    monkeypatch.setattr(outbox, "TICK_RECORD_SECONDS", 0.0)
    monkeypatch.setattr(outbox.EmbeddedWorker, "RESTART_SECONDS", 0.05)
    with sqlite_app.app_context():
        monkeypatch.setattr(db.session, "rollback", fails_once("rollback", db.session.rollback))
    worker = outbox.EmbeddedWorker(sqlite_app, celery, interval=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        ticks = set()
        while time.monotonic() < deadline and len(ticks) < 3:
            with sqlite_app.app_context():
                ticks.add(db.session.scalar(select(Tick.beat_at)))
                db.session.remove()
            time.sleep(0.05)
    finally:
        worker.stop()
    assert worker.restarts == 1 and not failures["reconcile"] and not failures["rollback"]
    assert len(ticks - {None}) >= 2  # ticks go on after the restart
    assert "embedded worker stopped by an error" in caplog.text
