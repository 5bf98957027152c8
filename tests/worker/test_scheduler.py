"""A scheduler that cannot stop without being seen (issue 15, item 2): a real
``parindex worker --beat`` on a full instance folder keeps ticking; when beat dies the
worker exits with status 70; health checks say "scheduler silent for N s"."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from survey_app.core.db import utcnow
from survey_app.core.models import Tick
from survey_app.extensions import db
from tests.services import require_or_skip
from tests.worker.conftest import wait_for
from worker.beat import BEAT_DIED_EXIT


@pytest.fixture
def full_folder(tmp_path):
    """A 64 KiB tmpfs, filled up (ENOSPC on any write), at ``tmp_path / 'full'``."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    require_or_skip(mounted.returncode == 0, "cannot mount a tmpfs (not root?)")
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _last_tick(app):
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(Tick.beat_at))


@pytest.mark.postgres
@pytest.mark.redis
def test_a_full_instance_folder_does_not_stop_the_ticks_and_a_dead_beat_ends_the_worker(
    pg_app, workers, full_folder, monkeypatch
):
    env = workers.env("beat")
    monkeypatch.setattr(
        workers, "env", lambda name: {**env, "PARINDEX_INSTANCE_PATH": str(full_folder)}
    )
    worker = workers.start("beat", beat=True)
    wait_for(lambda: _last_tick(pg_app) is not None, 60, "a first tick", [worker.log])
    first = _last_tick(pg_app)
    wait_for(lambda: _last_tick(pg_app) > first, 20, "a second tick", [worker.log])
    assert worker.proc.poll() is None
    assert not any(full_folder.glob("celerybeat-schedule*"))

    beat_pid = int(re.search(r"watching beat \(pid (\d+)\)", worker.log.read_text()).group(1))
    os.kill(beat_pid, signal.SIGKILL)
    wait_for(lambda: worker.proc.poll() is not None, 45, "the worker to exit", [worker.log])
    assert worker.proc.returncode == BEAT_DIED_EXIT
    assert "beat has stopped" in worker.log.read_text()


def _status(app):
    from survey_app.cli import main

    env = {
        "PARINDEX_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": app.config["SECRET_KEY"],
        "PARINDEX_SCHEDULER_SILENT_SECONDS": "60",
    }
    return CliRunner().invoke(main, ["status"], env=env)


def test_status_and_deep_health_check_say_how_long_the_scheduler_has_been_silent(sqlite_app):
    app, client = sqlite_app, sqlite_app.test_client()
    app.config["SCHEDULER_SILENT_SECONDS"] = 60
    never = _status(app)
    assert never.exit_code == 1 and "scheduler has never ticked" in never.output
    assert client.get("/healthz").status_code == 200  # the shallow check asks nothing
    from survey_app.core.ticks import record_tick

    with app.app_context():
        record_tick()
    assert _status(app).exit_code == 0
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 200 and deep.json["scheduler"]["silent_for"] < 60
    with app.app_context():
        db.session.execute(update(Tick).values(beat_at=utcnow() - dt.timedelta(seconds=300)))
        db.session.commit()
    silent = _status(app)
    assert silent.exit_code == 1
    assert re.search(r"scheduler silent for 30\d s", silent.output)
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 503 and deep.json["scheduler"]["message"].startswith(
        "scheduler silent for 30"
    )


def test_the_admin_overview_warns_when_the_scheduler_is_silent(sqlite_app):
    from survey_app.accounts.operations import create_user
    from survey_app.core.ticks import record_tick

    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    admin = sqlite_app.test_client()
    admin.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    assert 'id="scheduler-silent"' not in admin.get("/?lang=en").text  # never ran, nothing due
    with sqlite_app.app_context():
        record_tick(utcnow() - dt.timedelta(seconds=500))
    page = admin.get("/?lang=en").text
    assert 'id="scheduler-silent"' in page and "Scheduler silent for 50" in page
    with sqlite_app.app_context():
        record_tick()
    assert 'id="scheduler-silent"' not in admin.get("/?lang=en").text
