"""The migrations create the schema the models describe, and undo it, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from survey_app import create_app
from survey_app.extensions import db


def _fresh_app(url: str, tmp_path):
    return create_app(
        {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "m" * 40}
    )


def _diff(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def _roundtrip(app) -> None:
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "responses" in inspect(db.engine).get_table_names()


def test_sqlite_upgrade_downgrade_upgrade_leaves_no_autogenerate_difference(tmp_path):
    app = _fresh_app(f"sqlite:///{tmp_path / 'm.sqlite'}", tmp_path)
    _roundtrip(app)
    assert _diff(app) == []


@pytest.mark.postgres
def test_postgres_upgrade_downgrade_upgrade_leaves_no_autogenerate_difference(
    pg_empty_database, tmp_path
):
    app = _fresh_app(pg_empty_database, tmp_path)
    _roundtrip(app)
    assert _diff(app) == []
    with app.app_context():
        db.engine.dispose()
