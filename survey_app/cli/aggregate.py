"""``parindex rounds aggregate``: ask the worker for a round's figures, optionally wait.

Part of the CLI composition root: with the embedded broker there is no worker process,
so this command runs the outbox itself until the run is done.
"""

from __future__ import annotations

import time

import click

from survey_app.cli.appcmd import make_app
from survey_app.cli.common import write_json
from survey_app.config import EMBEDDED_BROKER


@click.command("aggregate")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--wait", is_flag=True, help="wait for the figures, with a progress bar")
@click.option("--final", is_flag=True, help="the final run of a closed round")
@click.option("--timeout", default=3600, show_default=True, help="seconds to wait at most")
@click.option("--json", "json_out", help="write the figures (as `parindex index`); - = stdout")
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
    exclude_bursts: bool,
) -> None:
    """Aggregate a round on the worker; the same output as `parindex index`."""
    from survey_app.core.jobs import AGGREGATE_ROUND, enqueue
    from survey_app.extensions import db
    from survey_app.rounds.models import Round
    from worker.celery_app import celery_init_app

    app = make_app()
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
        run = _follow(celery, embedded, job_id, timeout)
        if json_out:
            from worker.store import run_payload

            write_json(run_payload(run), json_out)


def _pump(celery, embedded: bool) -> None:
    """Send pending jobs; embedded (no worker process), this runs them here and now."""
    from worker.outbox import dispatch_pending

    dispatch_pending(celery)


def _follow(celery, embedded: bool, job_id: int, timeout: int):
    """Wait for the run the job started, showing chunks done; return the finished run."""
    deadline = time.monotonic() + timeout
    stream = click.get_text_stream("stderr")
    with click.progressbar(length=1, label="aggregating", file=stream, show_pos=True) as bar:
        while time.monotonic() < deadline:
            state, run = _status(job_id)
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
                _pump(celery, embedded)
            else:
                time.sleep(0.1)
    raise click.ClickException(
        f"no result after {timeout} s (job {job_id}); the run goes on in the background"
    )


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
