"""Running the service: ``serve``, ``worker`` and ``demo``.

The CLI is the composition root, so this module may import ``worker`` (the web app
itself never does; see the import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

import click

from survey_app.cli.appcmd import make_app, with_app
from survey_app.config import EMBEDDED_BROKER


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """The web app (development server; production: gunicorn 'survey_app.wsgi:app')."""
    from survey_app.core.security import QuietRequestHandler
    from worker.celery_app import celery_init_app
    from worker.outbox import EmbeddedWorker

    app = make_app()
    celery = celery_init_app(app)
    embedded = None
    if app.config["BROKER_URL"] == EMBEDDED_BROKER:
        embedded = EmbeddedWorker(app, celery)
        embedded.start()
        click.echo("embedded worker started (no broker needed)")
    click.echo(f"ParIndex on http://{host}:{port}/  (Ctrl-C stops)")
    _stop_on_signals()
    try:
        app.run(
            host=host,
            port=port,
            threaded=True,
            use_reloader=False,
            debug=False,
            request_handler=QuietRequestHandler,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if embedded:
            embedded.stop()
        click.echo("stopped")


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM (a service manager, a container stop) end the server the same way,
    even when started from a script that ignores SIGINT for background jobs."""
    import signal

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@click.command("worker")
@click.option("--beat", is_flag=True, help="also run the scheduler (Celery beat)")
@click.option("--concurrency", type=int, default=None, help="worker processes")
@click.option("--loglevel", default="INFO", show_default=True)
@click.option("--hostname", default=None, help="node name, e.g. w1@%h (several on one host)")
def worker_cmd(beat: bool, concurrency: int | None, loglevel: str, hostname: str | None) -> None:
    """A Celery worker on PARINDEX_BROKER_URL (Redis)."""
    # pyarrow imports pandas (when installed) at its first conversion from Python objects,
    # 0.4 s into a run's first chunk: once here, before the pool's processes fork
    import pandas  # noqa: F401

    import worker.pipeline  # noqa: F401  (imported once here, not by the first task)
    from worker import beat as beat_watchdog
    from worker.celery_app import celery_init_app

    app = make_app()
    if app.config["BROKER_URL"] == EMBEDDED_BROKER:
        raise click.ClickException(
            "PARINDEX_BROKER_URL is not set: the embedded broker runs "
            "inside 'parindex serve'; set redis://… for separate workers"
        )
    celery = celery_init_app(app)
    argv = ["worker", f"--loglevel={loglevel}"]
    if beat:
        argv.append("--beat")
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    status = celery.start(argv=argv)
    if beat_watchdog.died.is_set():  # exit non-zero so that a supervisor restarts us
        raise SystemExit(beat_watchdog.BEAT_DIED_EXIT)
    if status:
        raise SystemExit(status)


@click.command("status")
@with_app
def status_cmd() -> None:
    """The scheduler's heartbeat: "scheduler silent for N s" and exit status 1 when its
    last tick is older than PARINDEX_SCHEDULER_SILENT_SECONDS (or it never ticked)."""
    from survey_app.core.ticks import get_scheduler_health

    health = get_scheduler_health()
    click.echo(f"{health.message()} (threshold {health.threshold} s)")
    if health.jobs_waiting:
        click.echo(f"{health.jobs_waiting} jobs waiting longer than that")
    if health.is_silent:
        raise SystemExit(1)


@click.command("demo")
@click.option("--admin-email", default="admin@parindex.local", show_default=True)
def demo(admin_email: str) -> None:
    """Load the demo ministry: accounts for every role, last year's published round, this
    year's open round part-way through appraisal, and its first run (idempotent: a second
    run keeps what is there)."""
    from survey_app.demo.showcase import load_showcase

    app = make_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        report = load_showcase(admin_email, _compute_now)
    for line in report:
        click.echo(line)


def _compute_now(round_id: int, is_final: bool):
    """A run computed here and now, whatever the broker (the demo must open with figures)."""
    from worker.pipeline import aggregate_round

    return aggregate_round(round_id, is_final=is_final)
