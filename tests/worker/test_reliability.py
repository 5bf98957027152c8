"""The pipeline on real Redis and real worker processes: nothing lost, nothing counted twice.

Workers run with a 4-second job lease and re-send dispatched jobs after 3 seconds, so
the recovery that takes minutes in production takes seconds here.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from survey_app import create_app
from survey_app.cli import main
from survey_app.core import jobs
from survey_app.core.models import Job
from survey_app.demo.loader import load_demo
from survey_app.extensions import db
from survey_app.results.chunks import AggregationChunk
from survey_app.results.models import AggregationRun
from tests.worker.conftest import parindex_index, wait_for
from worker.celery_app import celery_init_app
from worker.outbox import dispatch_pending
from worker.pipeline import aggregate_round
from worker.store import run_payload

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FIGURES = ("index", "index_se", "index_ci_low", "index_ci_high", "survey_points", "survey_se")


def _close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


@pytest.fixture
def demo(pg_app):
    """The demo round in PostgreSQL, and its figures from an undisturbed in-process run."""
    with pg_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        reference = run_payload(aggregate_round(1, chunk_size=1000))
        db.session.execute(delete(AggregationRun))  # the workers must compute, not reuse
        db.session.commit()
    return reference


def _broker_side(pg_app, redis_url):
    """The test process's view of the service, sending jobs to the real Redis."""
    app = create_app({**pg_app.config, "BROKER_URL": redis_url})
    return app, celery_init_app(app)


def _enqueue_aggregation(app, celery, chunk_size: int) -> int:
    with app.app_context():
        job = jobs.enqueue(jobs.AGGREGATE_ROUND, {"round_id": 1, "chunk_size": chunk_size})
        db.session.commit()
        dispatch_pending(celery)
        return job.id


def _run(app):
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(AggregationRun).order_by(AggregationRun.id.desc()))


def _assert_same_figures(app, run_id, reference) -> None:
    with app.app_context():
        payload = run_payload(db.session.get(AggregationRun, run_id))
    got = {u["unit"]: u for u in payload["units"]}
    for ref in reference["units"]:
        row = got[ref["unit"]]
        assert row["rank"] == ref["rank"]
        assert (row["rank_low"], row["rank_high"]) == (ref["rank_low"], ref["rank_high"])
        for key in FIGURES:
            assert _close(row[key], ref[key]), (ref["unit"], key)


def test_killing_a_worker_mid_run_delays_the_run_but_changes_no_figure(
    pg_app, redis_server, workers, demo
):
    app, celery = _broker_side(pg_app, redis_server.url)
    first = workers.start("w1")
    _enqueue_aggregation(app, celery, chunk_size=13)  # 40 chunks
    wait_for(
        lambda: (r := _run(app)) is not None and r.chunks_done >= 5,
        60,
        "the first chunks",
        [first.log],
    )
    first.kill9()
    run = _run(app)
    assert run.state == "running" and run.chunks_done < run.chunks_total
    second = workers.start("w2", beat=True)  # its beat reconciles: lost jobs go out again
    wait_for(lambda: _run(app).state == "done", 120, "the run to finish", [first.log, second.log])
    run = _run(app)
    assert run.chunks_done == run.chunks_total == 40
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AggregationChunk)
                .where(AggregationChunk.run_id == run.id)
            )
            == 40
        )
        assert run.summary["meta"]["n_responses"] == 520
    _assert_same_figures(app, run.id, demo)


def test_redis_restarted_empty_loses_no_job(pg_app, redis_server, workers, demo):
    app, celery = _broker_side(pg_app, redis_server.url)
    lost = _enqueue_aggregation(app, celery, chunk_size=50)  # sent, then Redis forgets it
    redis_server.stop()
    with app.app_context():
        waiting = jobs.enqueue(jobs.PING).id  # asked for while Redis is down
        db.session.commit()
        assert dispatch_pending(celery) == 0
        assert db.session.get(Job, waiting).state == "pending"
    redis_server.start()  # a fresh, empty Redis
    worker = workers.start("w1", beat=True)
    wait_for(
        lambda: (r := _run(app)) is not None and r.state == "done",
        120,
        "the run to finish",
        [worker.log],
    )
    with app.app_context():
        assert db.session.get(Job, lost).state == "done"
        assert db.session.get(Job, waiting).state == "done"
    _assert_same_figures(app, _run(app).id, demo)


def test_pipeline_equals_parindex_index_on_the_rounds_exported_responses(
    pg_app, redis_server, workers, demo, tmp_path
):
    app, celery = _broker_side(pg_app, redis_server.url)
    worker = workers.start("w1", concurrency=2)
    _enqueue_aggregation(app, celery, chunk_size=60)
    wait_for(
        lambda: (r := _run(app)) is not None and r.state == "done", 90, "the run", [worker.log]
    )
    env = workers.env("cli")
    exported = tmp_path / "responses.csv"
    result = CliRunner().invoke(
        main, ["rounds", "export", "1", str(exported), "--format", "csv"], env=env
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "index.json"
    result = parindex_index(exported, out)
    assert result.exit_code == 0, result.output
    _assert_same_figures(app, _run(app).id, json.loads(out.read_text()))


def test_two_beat_schedulers_run_each_scheduled_job_once(pg_app, redis_server, workers, demo):
    app, _ = _broker_side(pg_app, redis_server.url)
    now = dt.datetime.now(dt.UTC)
    if now.second > 50:  # start well before a minute boundary, so both beats see it
        wait_for(lambda: dt.datetime.now(dt.UTC).second < 5, 15, "the next minute")
    logs = [workers.start(f"b{i}", beat=True).log for i in (1, 2)]
    boundary = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    key = f"due:{boundary.strftime('%Y-%m-%dT%H:%M')}"

    def due_job():
        with app.app_context():
            db.session.expire_all()
            return db.session.scalar(select(Job).where(Job.dedupe_key == key))

    wait_for(
        lambda: (j := due_job()) is not None and j.state == "done",
        100,
        f"the scheduled job {key}",
        logs,
    )
    job = due_job()
    assert job.attempts == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Job).where(Job.task == jobs.CLOSE_DUE_ROUNDS)
            )
            >= 1
        )
        keys = db.session.scalars(select(Job.dedupe_key).where(Job.task == jobs.CLOSE_DUE_ROUNDS))
        keys = list(keys)
        assert len(keys) == len(set(keys))
