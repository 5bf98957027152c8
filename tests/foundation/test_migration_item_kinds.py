"""Migration 0703 (item kinds): existing items become scored scales and keep their groups
(on SQLite the items table is rebuilt); downgrade refuses kinds the old schema cannot hold."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade

from survey_app import create_app
from survey_app.extensions import db

_AT_0601 = [
    "INSERT INTO questionnaires (id, code, title_vi, title_en, source_text, created_at) "
    "VALUES (1, 'Q', 't', 't', '', '2026-11-26 00:00:00')",
    "INSERT INTO scales (id, questionnaire_id, code) VALUES (1, 1, 'q4')",
    "INSERT INTO scale_levels (id, scale_id, value, position, label_vi, label_en, score, "
    "is_missing) VALUES (1, 1, 1, 0, 'a', 'a', 1.0, false)",
    "INSERT INTO sections (id, questionnaire_id, position, title_vi, title_en) "
    "VALUES (1, 1, 0, 's', 's')",
    "INSERT INTO items (id, questionnaire_id, section_id, code, position, text_vi, text_en, "
    "scale_id, is_required) VALUES (1, 1, 1, 'Q01', 0, 'x', 'x', 1, false)",
    "INSERT INTO item_groups (id, item_id, group_code) VALUES (1, 1, 'leader'), (2, 1, 'official')",
]


def _app(url, tmp_path):
    return create_app(
        {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "m" * 40}
    )


def _kinds(app, statements) -> None:
    with app.app_context():
        upgrade(revision="0601")
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        upgrade(revision="0703")
        with db.engine.begin() as conn:
            item = conn.exec_driver_sql("SELECT kind, scale_id FROM items").one()
            assert tuple(item) == ("scale", 1)
            groups = conn.exec_driver_sql("SELECT group_code FROM item_groups ORDER BY id")
            assert [g for (g,) in groups] == ["leader", "official"]
            conn.exec_driver_sql(
                "INSERT INTO items (id, questionnaire_id, section_id, code, position, text_vi, "
                "text_en, is_required, kind) VALUES (2, 1, 1, 'T1', 1, 'x', 'x', false, 'text')"
            )
        with pytest.raises(SystemExit):  # flask-migrate logs the RuntimeError: 1 item(s) …
            downgrade(revision="0601")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM items WHERE id = 2")
        downgrade(revision="0601")
        with db.engine.connect() as conn:
            groups = conn.exec_driver_sql("SELECT count(*) FROM item_groups").scalar()
            assert groups == 2
        db.engine.dispose()


def _sqlite(statements):
    return [s.replace("false", "0") for s in statements]


def test_sqlite_items_become_scales_and_keep_their_groups(tmp_path):
    _kinds(_app(f"sqlite:///{tmp_path / 'm.sqlite'}", tmp_path), _sqlite(_AT_0601))


@pytest.mark.postgres
def test_postgres_items_become_scales_and_keep_their_groups(pg_empty_database, tmp_path):
    _kinds(_app(pg_empty_database, tmp_path), _AT_0601)
