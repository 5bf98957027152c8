"""``parindex rounds aggregate`` starts without what it never uses (issue 18, item 5: its
start is part of every aggregation's wall time)."""

from __future__ import annotations

import os

from tests.cli.imports import imported_by

#: Alembic (through Flask-Migrate) only migrates; pandas and scipy only compute, which
#: the worker does; Flask-Limiter only limits pages.
NOT_IMPORTED = ("alembic", "flask_migrate", "pandas", "scipy", "flask_limiter")


def test_rounds_aggregate_does_not_import_alembic_pandas_scipy_or_flask_limiter(tmp_path):
    from survey_app import create_app
    from survey_app.extensions import db

    url = f"sqlite:///{tmp_path / 'parindex.db'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "t" * 40, "TESTING": True})  # fmt: skip
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")},
        "PARINDEX_DATABASE_URL": url,
        "PARINDEX_SECRET_KEY": "t" * 40,
        "PARINDEX_INSTANCE_PATH": str(tmp_path),
    }
    # round 999 does not exist: the command stops after its imports and its first query
    found, proc = imported_by(["rounds", "aggregate", "999", "--wait"], NOT_IMPORTED, env)
    assert "no round 999" in proc.stderr, proc.stderr
    assert found == [], proc.stdout + proc.stderr
