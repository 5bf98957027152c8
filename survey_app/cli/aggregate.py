"""``parindex rounds aggregate``: ask the worker for a round's figures, optionally wait.

Part of the CLI composition root: it may start the in-process dispatcher when the
broker is the embedded one (no worker process exists then).
"""

from __future__ import annotations

import time

import click

from survey_app.cli.appcmd import make_app
from survey_app.cli.common import write_json
from survey_app.config import EMBEDDED_BROKER


@click.command("aggregate")
@click.argument("round_id", type=int)
@click.option("--wait", is_flag=True, help="wait for the result, with a progress bar")
@click.option("--final", is_flag=True, help="the final run of a closed round")
@click.option("--timeout", default=3600, show_default=True, help="seconds to wait at most")
@click.option("--json", "json_out", help="write the figures (as `parindex index`) here; - = stdout")
def aggregate(round_id: int, wait: bool, final: bool, timeout: int, json_out: str | None) -> None:
    """Aggregate a round on the worker; same output as `parindex index`."""
    from survey_app.core.jobs import AGGREGATE_ROUND, enqueue
    from survey_app.extensions import db
    from survey_app.rounds.models import Round

    app = make_app()
    with app.app_context():
        if db.session.get(Round, round_id) is None:
            raise click.ClickException(f"no round {round_id}")
        job = enqueue(AGGREGATE_ROUND, {"round_id": round_id, "is_final": final})
        db.session.commit()
        job_id = job.id
        click.echo(f"job {job_id} queued", err=True)
        _dispatch(app)
        if not (wait or json_out):
            return
        job = _wait(app, job_id, timeout)
        if job.state != "done":
            raise click.ClickException(f"job {job_id} {job.state}: {job.error or 'timed out'}")
        if json_out:
            write_json(_latest_payload(round_id, final), json_out)


def _dispatch(app) -> None:
    from worker.celery_app import celery_init_app
    from worker.dispatch import dispatch_pending

    celery = celery_init_app(app)
    dispatch_pending(celery)
    if app.config["BROKER_URL"] == EMBEDDED_BROKER:
        click.echo("ran on the embedded worker", err=True)


def _wait(app, job_id: int, timeout: int):
    from survey_app.core.models import Job
    from survey_app.extensions import db

    deadline = time.monotonic() + timeout
    with click.progressbar(
        length=100, label="aggregating", file=click.get_text_stream("stderr")
    ) as bar:
        shown = 0
        while True:
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            done = 100 if job.state in ("done", "failed") else _percent(job)
            bar.update(done - shown)
            shown = done
            if job.state in ("done", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.5)


def _percent(job) -> int:
    return int(100 * job.progress_done / job.progress_total) if job.progress_total else 0


def _latest_payload(round_id: int, final: bool) -> dict:
    from sqlalchemy import select

    from survey_app.extensions import db
    from survey_app.results.models import AggregationRun
    from worker.pipeline import run_payload

    run = db.session.scalar(
        select(AggregationRun)
        .where(
            AggregationRun.round_id == round_id,
            AggregationRun.state == "done",
            AggregationRun.is_final == final,
        )
        .order_by(AggregationRun.finished_at.desc())
    )
    return run_payload(run)
