"""Shared fixtures: apps on SQLite and on a real PostgreSQL, and the local Redis.

Each test run gets its own PostgreSQL database (created here, dropped at the end).
When a server does not answer, its tests skip with the reason; with
``PARINDEX_REQUIRE_SERVICES=1`` (set by ``.ci/run``) the skip becomes a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from pathlib import Path

import pytest

from tests.reference import REFERENCE_DIR
from tests.services import postgres_admin_url, redis_url_or_none, require_or_skip

TESTS = Path(__file__).parent
EXAMPLES = TESTS / "data" / "examples"


def _migrated_app(url: str, instance: Path):
    from flask_migrate import upgrade

    from survey_app import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "t" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file; each test copies it (faster than migrating every time)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite"
    app = _migrated_app(f"sqlite:///{path}", folder)
    with app.app_context():
        from survey_app.extensions import db

        db.engine.dispose()
    return path


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    path = tmp_path / "parindex.sqlite"
    shutil.copy(sqlite_template, path)
    from survey_app import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "t" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )
    yield app
    with app.app_context():
        from survey_app.extensions import db

        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def _scratch_database():
    admin = postgres_admin_url()
    require_or_skip(admin is not None, "PostgreSQL is not answering on 127.0.0.1:5432")
    import psycopg

    name = f"parindex_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database():
    """The run's PostgreSQL database (migrated once by ``pg_migrated``). Dropped at the end."""
    with _scratch_database() as url:
        yield url


@pytest.fixture
def pg_empty_database():
    """A PostgreSQL database of the test's own, empty, dropped afterwards (migration tests)."""
    with _scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated(pg_database, tmp_path_factory):
    app = _migrated_app(pg_database, tmp_path_factory.mktemp("pg-instance"))
    with app.app_context():
        from survey_app.extensions import db

        db.engine.dispose()
    return pg_database


@pytest.fixture
def pg_app(pg_migrated, tmp_path):
    """An app on the run's PostgreSQL database; every table is emptied afterwards."""
    from survey_app import create_app
    from survey_app.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": pg_migrated,
            "SECRET_KEY": "t" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def any_app(request):
    """The same test on the embedded default and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_app")


@pytest.fixture
def redis_url():
    url = redis_url_or_none()
    require_or_skip(url is not None, "Redis is not answering on 127.0.0.1:6379")
    return url


@pytest.fixture
def cli(sqlite_app):
    """Run ``parindex …`` against the test's database; returns click's Result."""
    from click.testing import CliRunner

    from survey_app.cli import main

    env = {
        "PARINDEX_DATABASE_URL": sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": sqlite_app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": sqlite_app.config["SECRET_KEY"],
    }

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)

    return run


@pytest.fixture(scope="session")
def reference() -> dict:
    """What R's survey package computed for the reference case."""
    return json.loads((REFERENCE_DIR / "reference_2k.json").read_text(encoding="utf-8"))
