"""No evidence file without its row (issue 15, item 4): a failed write, a failed commit
and a crash leave nothing behind, or a file the hourly sweep removes."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from survey_app.assessments.models import Evidence
from survey_app.core import files
from survey_app.core.models import Job
from survey_app.extensions import db
from tests.assessments.test_evidence import PDF, _upload, draft_item  # noqa: F401


def _folder(world) -> Path:
    return Path(world.app.instance_path) / "evidence"


def _left(world) -> list[str]:
    folder = _folder(world)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _rows(world) -> int:
    with world.app.app_context():
        return len(db.session.scalars(select(Evidence)).all())


class FullDisk:
    """A file object that is created, then cannot be written: the disk is full."""

    def __init__(self, path, mode):
        self.real = open(path, mode)  # noqa: SIM115 (closed by __exit__)

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def test_a_full_disk_leaves_no_file_and_no_row(world, draft_item, monkeypatch):  # noqa: F811
    monkeypatch.setattr(files, "open", FullDisk, raising=False)
    with pytest.raises(OSError, match="No space left"):
        _upload(world.client("focal"), draft_item, "quyết định.pdf", PDF)
    assert _left(world) == [] and _rows(world) == 0


def test_a_failed_commit_leaves_no_file(world, draft_item):  # noqa: F811
    def refuse(session):  # listened to only while the upload runs
        raise RuntimeError("the database went away at commit")

    focal = world.client("focal")
    event.listen(Session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            _upload(focal, draft_item, "quyết định.pdf", PDF)
    finally:
        event.remove(Session, "before_commit", refuse)
    assert _left(world) == [] and _rows(world) == 0
    assert _upload(focal, draft_item, "quyết định.pdf", PDF).status_code in (302, 303)
    with world.app.app_context():
        [stored] = db.session.scalars(select(Evidence.stored_name))
    assert _left(world) == [stored]  # moved into place, no temporary name left


def test_the_sweep_removes_old_files_without_a_row_and_keeps_the_rest(world, draft_item):  # noqa: F811
    _upload(world.client("focal"), draft_item, "quyết định.pdf", PDF)
    folder = _folder(world)
    [kept] = _left(world)
    old = time.time() - 7200
    for name in ("ab" * 16, ".cd.part", kept):  # an orphan, a crash's temp file, a real one
        (folder / name).touch()
        os.utime(folder / name, (old, old))
    (folder / ("ef" * 16)).touch()  # an orphan still within the grace period
    env = {
        "PARINDEX_DATABASE_URL": world.app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": world.app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": world.app.config["SECRET_KEY"],
    }
    from survey_app.cli import main

    result = CliRunner().invoke(main, ["sweep-evidence", "--grace", "3600"], env=env)
    assert result.exit_code == 0 and "2 orphan files removed" in result.output
    assert _left(world) == sorted([kept, "ef" * 16])


def test_the_scheduler_asks_for_the_sweep_once_an_hour(world):
    from worker.celery_app import celery_init_app
    from worker.outbox import dispatch_pending
    from worker.schedules import schedule_sweep

    celery = celery_init_app(world.app)
    with world.app.app_context():
        schedule_sweep.run()
        schedule_sweep.run()  # a second beat, or a restart within the hour
        dispatch_pending(celery)
        [job] = db.session.scalars(select(Job).where(Job.task == "parindex.sweep_evidence"))
        assert job.state == "done" and job.result == {"removed": 0}
