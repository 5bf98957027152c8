"""Fixtures of the results tests: the demo round with one run, signed-in clients, publication."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.extensions import db

PASSWORD = "correct horse battery"
#: role → e-mail of the account the demo fixtures create
ACCOUNTS = {
    "admin": "admin@x.vn",
    "viewer": "viewer@x.vn",
    "appraiser": "appraiser@x.vn",
    "focal": "focal@x.vn",
}


def _app(url: str, instance: Path):
    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "t" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )


def load_demo_with_run() -> None:
    """The demo round, one account per role and a provisional run (version 1)."""
    from survey_app.accounts.operations import create_user
    from survey_app.demo.loader import load_demo
    from worker.pipeline import aggregate_round

    load_demo(ACCOUNTS["admin"])
    for role in ("viewer", "appraiser"):
        create_user(ACCOUNTS[role], role, PASSWORD)
    create_user(ACCOUNTS["focal"], "focal", PASSWORD, unit_code="C01")
    db.session.commit()
    aggregate_round(1)


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory) -> Path:
    """A migrated SQLite file holding the demo and its first run; tests copy it."""
    folder = tmp_path_factory.mktemp("results-demo")
    path = folder / "demo.sqlite"
    shutil.copy(sqlite_template, path)
    app = _app(f"sqlite:///{path}", folder)
    with app.app_context():
        load_demo_with_run()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def demo_app(demo_template, tmp_path):
    path = tmp_path / "parindex.sqlite"
    shutil.copy(demo_template, path)
    app = _app(f"sqlite:///{path}", tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_demo_app(pg_app):
    with pg_app.app_context():
        load_demo_with_run()
    return pg_app


@pytest.fixture(params=["sqlite", "pg"])
def any_demo_app(request):
    """The demo round with a run, on the embedded default and on PostgreSQL."""
    return request.getfixturevalue("demo_app" if request.param == "sqlite" else "pg_demo_app")


def sign_in(app, role: str | None):
    """A test client signed in as the demo account of ``role`` (None: anonymous)."""
    from sqlalchemy import select

    from survey_app.accounts.models import User

    client = app.test_client()
    if role is None:
        return client
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ACCOUNTS[role]))
        ident = (user.id, user.session_version)
    with client.session_transaction() as sess:
        sess["user_id"], sess["user_version"] = ident
    return client


def publish_demo(app, *, is_final_run: bool = True) -> int:
    """Close the demo round, compute a final run and publish it; returns its version."""
    from survey_app.results.operations import publish_run
    from survey_app.rounds.models import Round
    from survey_app.rounds.operations import close_round
    from worker.pipeline import aggregate_round

    with app.app_context():
        rnd = db.session.get(Round, 1)
        close_round(rnd)
        db.session.commit()
        run = aggregate_round(1, is_final=is_final_run)
        publish_run(rnd, run)
        db.session.commit()
        return run.version
