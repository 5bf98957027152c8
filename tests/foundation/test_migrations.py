"""The migrations create the schema the models describe, and undo it, on both databases."""

from __future__ import annotations

import json

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


#: A round with three responses at revision 0401: two answered (one "don't know", 9),
#: one with no answer rows.
_AT_0401 = [
    "INSERT INTO questionnaires (id, code, title_vi, title_en, source_text, created_at) "
    "VALUES (1, 'Q', 'q', 'q', '', '2026-11-26 00:00:00')",
    "INSERT INTO rounds (id, name, questionnaire_id, state, created_at) "
    "VALUES (1, 'r', 1, 'open', '2026-11-26 00:00:00')",
    "INSERT INTO unit_kinds (id, code, name_vi, name_en) VALUES (1, 'dept', 'd', 'd')",
    "INSERT INTO units (id, code, kind_id, name_vi, name_en) VALUES (1, 'U1', 1, 'u', 'u')",
    *(
        "INSERT INTO responses (id, round_id, unit_id, group_code, stratum, psu, attributes, "
        f"submitted_on, channel) VALUES ('{rid}', 1, 1, 'g', 's', 'p', '{{}}', '2026-11-26', "
        "'import')"
        for rid in ("a" * 32, "b" * 32, "c" * 32)
    ),
    "INSERT INTO answers (response_id, item_code, value) VALUES "
    f"('{'a' * 32}', 'Q01', 4), ('{'a' * 32}', 'Q02', 9), ('{'b' * 32}', 'Q01', 1)",
]
_ROWS = [("a" * 32, "Q01", 4), ("a" * 32, "Q02", 9), ("b" * 32, "Q01", 1)]
_OBJECTS = {"a" * 32: {"Q01": 4, "Q02": 9}, "b" * 32: {"Q01": 1}, "c" * 32: {}}


def _answers_roundtrip(app) -> None:
    with app.app_context():
        upgrade(revision="0401")
        as_0401 = _answers_schema()
        with db.engine.begin() as conn:
            for statement in _AT_0401:
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, answers FROM responses").all()
        assert {rid: _loaded(a) for rid, a in rows} == _OBJECTS
        assert "answers" not in inspect(db.engine).get_table_names()
        downgrade(revision="0401")
        assert _answers_schema() == as_0401
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT response_id, item_code, value FROM answers")
            assert sorted(tuple(r) for r in rows) == _ROWS
        columns = {c["name"] for c in inspect(db.engine).get_columns("responses")}
        assert "answers" not in columns
        db.engine.dispose()


def _answers_schema() -> tuple:
    """Columns (with the PostgreSQL collation), primary key and foreign keys of answers."""
    found = inspect(db.engine)
    columns = [(c["name"], repr(c["type"]), c["nullable"]) for c in found.get_columns("answers")]
    return columns, found.get_pk_constraint("answers"), found.get_foreign_keys("answers")


def _loaded(value):
    return json.loads(value) if isinstance(value, str) else value


def test_sqlite_answers_move_to_the_response_row_and_back(tmp_path):
    _answers_roundtrip(_fresh_app(f"sqlite:///{tmp_path / 'm.sqlite'}", tmp_path))


@pytest.mark.postgres
def test_postgres_answers_move_to_the_response_row_and_back(pg_empty_database, tmp_path):
    _answers_roundtrip(_fresh_app(pg_empty_database, tmp_path))


#: Two invitations at revision 0501, the first with a saved draft.
_AT_0501 = [
    *_AT_0401[:4],  # questionnaire, round, unit kind, unit
    *(
        "INSERT INTO invitations (id, round_id, token_hash, name, group_code, unit_id, stratum, "
        f"psu, attributes, created_at, is_used, is_revoked) VALUES ({i}, 1, {digest}, 'n', 'g', "
        "1, 's', 'p', '{}', '2026-11-26 00:00:00', false, false)"
        for i, digest in ((1, "'\\x01'::bytea"), (2, "'\\x02'::bytea"))
    ),
    "INSERT INTO response_drafts (invitation_id, answers, section, updated_at) "
    "VALUES (1, '{\"Q01\": 4}', 0, '2026-11-26 00:00:00')",
]


def _draft_flags(app, statements) -> None:
    with app.app_context():
        upgrade(revision="0501")
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, has_draft FROM invitations ORDER BY id")
            assert [(i, bool(flag)) for i, flag in rows] == [(1, True), (2, False)]
        downgrade(revision="0501")
        assert "has_draft" not in {c["name"] for c in inspect(db.engine).get_columns("invitations")}
        db.engine.dispose()


def test_sqlite_invitations_with_a_draft_are_flagged(tmp_path):
    sqlite = [
        s.replace("'\\x01'::bytea", "x'01'")
        .replace("'\\x02'::bytea", "x'02'")
        .replace("false", "0")
        for s in _AT_0501
    ]
    _draft_flags(_fresh_app(f"sqlite:///{tmp_path / 'm.sqlite'}", tmp_path), sqlite)


@pytest.mark.postgres
def test_postgres_invitations_with_a_draft_are_flagged(pg_empty_database, tmp_path):
    _draft_flags(_fresh_app(pg_empty_database, tmp_path), _AT_0501)


def _units_stay_active(app) -> None:
    with app.app_context():
        upgrade(revision="0601")
        with db.engine.begin() as conn:
            for statement in _AT_0401[2:4]:  # unit kind, unit
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT code, is_active FROM units").all()
        assert [(code, bool(flag)) for code, flag in rows] == [("U1", True)]
        downgrade(revision="0601")
        assert "is_active" not in {c["name"] for c in inspect(db.engine).get_columns("units")}
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT code FROM units").all() == [("U1",)]
        db.engine.dispose()


def test_sqlite_existing_units_stay_active(tmp_path):
    _units_stay_active(_fresh_app(f"sqlite:///{tmp_path / 'm.sqlite'}", tmp_path))


@pytest.mark.postgres
def test_postgres_existing_units_stay_active(pg_empty_database, tmp_path):
    _units_stay_active(_fresh_app(pg_empty_database, tmp_path))
