"""``parindex rounds aggregate``: ask the worker for a round's figures, optionally wait.

Part of the CLI composition root: with the embedded broker there is no worker process,
so this command runs the outbox itself until the run is done. While it waits, a database
that goes away (a restart, a fail-over) is asked again with backoff; one that stays away
longer than ``--db-wait`` ends the command with ``EXIT_DB_UNREACHABLE`` and one line.
"""

from __future__ import annotations

import atexit
import gc
import time

import click

from survey_app.cli.appcmd import make_app
from survey_app.cli.common import write_json
from survey_app.config import EMBEDDED_BROKER

#: Exit status when the database stays unreachable longer than ``--db-wait`` (the run
#: itself goes on in the worker; ask again later). 1 is a failed run, 2 a usage error.
EXIT_DB_UNREACHABLE = 3
#: The longest pause between two attempts to reach the database.
MAX_DB_PAUSE = 5.0
#: Pauses between two looks at a run while waiting for a worker: the run's first look,
#: while chunks are mapped (a look every 0.1 s took a tenth of a core from the worker and
#: the database on a small machine), and once every chunk is mapped (the figures are then
#: a reduce away, and every look saved is wall time).
POLL_PLANNING, POLL_MAPPING, POLL_REDUCING = 0.1, 0.25, 0.02


class DatabaseAway(click.ClickException):
    exit_code = EXIT_DB_UNREACHABLE

    def show(self, file=None) -> None:  # one line, no "Error:" prefix, no traceback
        click.echo(self.message, err=True)


@click.command("aggregate")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--wait", is_flag=True, help="wait for the figures, with a progress bar")
@click.option("--final", is_flag=True, help="the final run of a closed round")
@click.option("--timeout", default=3600, show_default=True, help="seconds to wait at most")
@click.option("--json", "json_out", help="write the figures (as `parindex index`); - = stdout")
@click.option(
    "--db-wait",
    type=click.IntRange(min=0),
    default=None,
    help="seconds to keep trying an unreachable database while waiting "
    "(default PARINDEX_DB_WAIT_SECONDS, 120)",
)
@click.option(
    "--exclude-bursts",
    is_flag=True,
    help="leave out responses that came through an open link in a burst",
)
def aggregate(
    round_id: int,
    wait: bool,
    final: bool,
    timeout: int,
    json_out: str | None,
    db_wait: int | None,
    exclude_bursts: bool,
) -> None:
    """Aggregate a round on the worker; the same output as `parindex index`.

    Exit status: 0 done; 1 the run failed or --timeout passed; 3 the database stayed
    unreachable longer than --db-wait while waiting (the run goes on in the worker)."""
    from survey_app.core.jobs import AGGREGATE_ROUND, enqueue
    from survey_app.extensions import db
    from survey_app.rounds.models import Round
    from worker.celery_app import celery_init_app

    # At exit, spare the interpreter its last full collection of every module's objects
    # (a third of a second after the figures are written); nothing is left to flush.
    atexit.register(gc.freeze)
    # enqueues, waits and reads the run: no page, no URL, no schema change
    app = make_app(web=False, migrations=False)
    with app.app_context():
        if db.session.get(Round, round_id) is None:
            raise click.ClickException(f"no round {round_id}")
        payload = {"round_id": round_id, "is_final": final}
        if exclude_bursts:
            payload["exclude_bursts"] = True
        job_id = enqueue(AGGREGATE_ROUND, payload).id
        db.session.commit()
        click.echo(f"aggregation of round {round_id} queued (job {job_id})", err=True)
        celery = celery_init_app(app)
        embedded = app.config["BROKER_URL"] == EMBEDDED_BROKER
        _pump(celery, embedded)
        if not (wait or json_out or embedded):
            return
        patience = db_wait if db_wait is not None else app.config["DB_WAIT_SECONDS"]
        run = _follow(celery, embedded, job_id, timeout, patience)
        if json_out:
            from worker.store import run_payload

            write_json(run_payload(run), json_out)


def _pump(celery, embedded: bool) -> None:
    """Send pending jobs; embedded (no worker process), this runs them here and now."""
    from worker.outbox import dispatch_pending

    dispatch_pending(celery)


def _follow(celery, embedded: bool, job_id: int, timeout: int, patience: int):
    """Wait for the run the job started, showing chunks done; return the finished run."""
    deadline = time.monotonic() + timeout
    stream = click.get_text_stream("stderr")
    with click.progressbar(length=1, label="aggregating", file=stream, show_pos=True) as bar:
        while time.monotonic() < deadline:
            state, run = _patiently(lambda: _status(job_id), job_id, patience)
            if run is not None:
                bar.length = max(run.chunks_total + 1, 1)
                bar.update(run.chunks_done + (run.state == "done") - bar.pos)
                if run.state == "done":
                    return run
                if run.state == "failed":
                    raise click.ClickException(f"run {run.version} failed: {run.error}")
            if state == "failed":
                raise click.ClickException(f"job {job_id} failed: {_job(job_id).error}")
            if embedded:
                _patiently(lambda: _pump(celery, embedded), job_id, patience)
            else:
                time.sleep(max(0.0, min(_pause(run), deadline - time.monotonic())))
    raise click.ClickException(
        f"no result after {timeout} s (job {job_id}); the run goes on in the background"
    )


def _pause(run) -> float:
    """Seconds until the next look at ``run`` (None: not planned yet)."""
    if run is None:
        return POLL_PLANNING
    return POLL_REDUCING if run.chunks_done >= run.chunks_total else POLL_MAPPING


def _patiently(query, job_id: int, patience: float):
    """``query()``, asked again with backoff (0.2 s doubling to 5 s) while the database
    cannot be reached, for ``patience`` seconds at most."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

    since, pause = None, 0.2
    while True:
        try:
            return query()
        except (OperationalError, InterfaceError, DisconnectionError):
            _drop_session()
            since = since if since is not None else time.monotonic()
            away = time.monotonic() - since
            if away >= patience:
                raise DatabaseAway(
                    f"database unreachable for {away:.0f} s: stopped waiting for job {job_id} "
                    "(the run goes on in the worker; ask again later)"
                ) from None
            time.sleep(min(pause, patience - away))
            pause = min(pause * 2, MAX_DB_PAUSE)


def _drop_session() -> None:
    """Forget the broken connection; the next query takes a fresh one from the pool."""
    from sqlalchemy.exc import SQLAlchemyError

    from survey_app.extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    db.session.remove()


def _job(job_id: int):
    from survey_app.core.models import Job
    from survey_app.extensions import db

    db.session.expire_all()
    return db.session.get(Job, job_id)


def _status(job_id: int):
    """(job state, the run it produced — or the earlier identical run that replaced it)."""
    from sqlalchemy import select

    from survey_app.core.models import Job
    from survey_app.extensions import db
    from survey_app.results.models import AggregationRun

    job = _job(job_id)
    run_id = (job.result or {}).get("run_id")
    if run_id is None:
        return job.state, None
    run = db.session.get(AggregationRun, run_id)
    if run is None:  # same inputs as an earlier run: the reduce job names the one that stands
        reduce = db.session.scalar(select(Job).where(Job.dedupe_key == f"reduce:{run_id}"))
        run_id = (reduce.result or {}).get("run_id") if reduce else None
        run = db.session.get(AggregationRun, run_id) if run_id else None
    return job.state, run
