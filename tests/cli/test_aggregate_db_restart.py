"""``parindex rounds aggregate --wait`` survives a database restart (issue 15, item 3),
and says in one line, with exit status 3, when the database stays away: a real
PostgreSQL of the test's own, stopped and started under a real ``parindex`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from survey_app.cli.aggregate import EXIT_DB_UNREACHABLE
from tests.pgserver import PrivatePostgres
from tests.services import require_or_skip
from tests.worker.conftest import (
    ROOT,
    redis_server,  # noqa: F401  (a fixture)
    wait_for,
)


@pytest.fixture
def private_pg(tmp_path):
    require_or_skip(PrivatePostgres.available(), "PostgreSQL server binaries are not installed")
    server = PrivatePostgres()
    server.init()
    from survey_app import create_app
    from survey_app.extensions import db
    from tests.rounds.conftest import load_examples, make_round

    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": server.url,
              "SECRET_KEY": "t" * 40, "TESTING": True}  # fmt: skip
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_examples()
        server.round_id = make_round()
        db.session.commit()
        db.engine.dispose()
    yield server
    server.destroy()


def _aggregate(server, redis_url: str, tmp_path, db_wait: int) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")},
        "PYTHONPATH": str(ROOT),
        "PARINDEX_DATABASE_URL": server.url,
        "PARINDEX_BROKER_URL": redis_url,  # no worker listens: the test plays the worker
        "PARINDEX_SECRET_KEY": "t" * 40,
        "PARINDEX_INSTANCE_PATH": str(tmp_path),
    }
    args = [sys.executable, "-m", "survey_app.cli", "rounds", "aggregate",
            str(server.round_id), "--wait", "--db-wait", str(db_wait)]  # fmt: skip
    return subprocess.Popen(args, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)


def _dispatched_job(engine) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(
            text("SELECT max(id) FROM jobs WHERE state = 'dispatched' AND result IS NULL")
        )


def _finish(engine, server, job_id: int) -> None:
    """What the worker would do: a finished run, named in the job's result."""
    with engine.begin() as conn:
        run_id = conn.scalar(
            text(
                "INSERT INTO aggregation_runs (round_id, version, state, is_final, is_published,"
                " code_version, methodology, chunks_done, chunks_total, timings, created_at)"
                " VALUES (:r, 1, 'done', false, false, 'test', '{}', 1, 1, '{}', now())"
                " RETURNING id"
            ),
            {"r": server.round_id},
        )
        conn.execute(
            text("UPDATE jobs SET state = 'done', result = CAST(:res AS json) WHERE id = :id"),
            {"res": f'{{"run_id": {run_id}}}', "id": job_id},
        )


@pytest.mark.postgres
@pytest.mark.redis
def test_waiting_survives_a_restart_and_gives_up_in_one_line(
    private_pg,
    redis_server,  # noqa: F811
    tmp_path,
):
    engine = create_engine(private_pg.url, pool_pre_ping=True)
    waiting = _aggregate(private_pg, redis_server.url, tmp_path, db_wait=60)
    wait_for(lambda: _dispatched_job(engine) is not None, 30, "the job to be dispatched")
    job_id = _dispatched_job(engine)
    private_pg.stop()  # a restart: the database is away for a while, then back
    time.sleep(1.5)
    private_pg.start()
    assert waiting.poll() is None  # still waiting, no traceback
    _finish(engine, private_pg, job_id)
    _, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert "Traceback" not in err

    away = _aggregate(private_pg, redis_server.url, tmp_path, db_wait=2)
    wait_for(lambda: _dispatched_job(engine) is not None, 30, "the second job")
    engine.dispose()
    private_pg.stop()
    _, err = away.communicate(timeout=30)
    assert away.returncode == EXIT_DB_UNREACHABLE
    last = err.strip().splitlines()[-1]
    assert last.startswith("database unreachable for ") and "ask again later" in last
    assert "Traceback" not in err
