"""The Celery application bound to the Flask app factory (Flask's ``celery_init_app``)."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from survey_app.config import EMBEDDED_BROKER
from survey_app.core.times import DEFAULT_TIMEZONE
from worker.beat import BeatWatchdog
from worker.schedules import BEAT_SCHEDULE

#: Seconds a task may run; the broker's visibility timeout must exceed it.
TASK_TIME_LIMIT = 3600


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app; every task runs inside an application context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["BROKER_URL"]
    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url="memory://" if broker == EMBEDDED_BROKER else broker,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=TASK_TIME_LIMIT,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": TASK_TIME_LIMIT * 2},
        broker_connection_retry_on_startup=True,
        task_always_eager=broker == EMBEDDED_BROKER,
        imports=("worker.tasks", "worker.schedules"),
        beat_schedule=BEAT_SCHEDULE,
        # no schedule file on the instance volume (issue 15): a full or read-only disk
        # killed beat silently; scheduled asks are idempotent per period anyway
        beat_scheduler="worker.beat:MemoryScheduler",
        # crontabs (the 01:00 nightly run, the 09:00 reminders) in the ministry's time
        timezone=app.config.get("TIMEZONE", DEFAULT_TIMEZONE),
        worker_hijack_root_logger=False,
    )
    check_reliability(celery)
    celery.steps["worker"].add(BeatWatchdog)
    celery.set_default()
    # ``imports`` is only read when a worker process starts; the embedded dispatcher
    # (inside ``parindex serve``) looks tasks up by name, so register them here too.
    celery.loader.import_default_modules()
    app.extensions["celery"] = celery
    import worker.schedules  # noqa: F401
    import worker.tasks  # noqa: F401  (registers the shared tasks on this app)

    return celery


def check_reliability(celery: Celery) -> None:
    """Refuse to start with settings that lose or repeat work.

    Redis hands an unacknowledged message to another worker after the visibility
    timeout; were it shorter than the time a task may run, a slow task would run twice.
    """
    conf = celery.conf
    timeout = (conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    if timeout <= conf.task_time_limit:
        raise RuntimeError(
            f"broker visibility_timeout ({timeout} s) must exceed "
            f"task_time_limit ({conf.task_time_limit} s)"
        )
    if not (conf.task_acks_late and conf.task_reject_on_worker_lost):
        raise RuntimeError("tasks must be acknowledged late and requeued on worker loss")
