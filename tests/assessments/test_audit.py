"""The audit trail: append-only in the database, readable per unit and score, exportable."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from survey_app.accounts.models import User
from survey_app.accounts.operations import create_user
from survey_app.assessments.audit import audit_csv
from survey_app.core.audit import log_change
from survey_app.core.models import AuditEntry
from survey_app.extensions import db


def _one_entry(app) -> int:
    with app.app_context():
        entry = log_change("test.change", "thing", 1, old={"a": 1}, new={"a": 2}, reason="r")
        db.session.commit()
        return entry.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET reason = 'rewritten' WHERE id = :id",
        "UPDATE audit_log SET new = NULL WHERE id = :id",
        "UPDATE audit_log SET user_id = 1 WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
    ],
)
def test_the_database_refuses_to_rewrite_or_delete_audit_entries(any_app, statement):
    entry_id = _one_entry(any_app)
    with any_app.app_context():
        create_user("someone@x.vn", "viewer", "correct horse battery")
        db.session.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement), {"id": entry_id})
        entry = db.session.get(AuditEntry, entry_id)
        assert (entry.reason, entry.new, entry.user_id) == ("r", {"a": 2}, None)


def test_deleting_an_account_keeps_its_entries_with_the_actor_named(any_app):
    with any_app.app_context():
        user = create_user("gone@x.vn", "viewer", "correct horse battery")
        log_change("test.change", "thing", 1, user=user, new={"a": 1})
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "test.change"))
        assert entry.user_id is None and entry.actor == "gone@x.vn"
        assert db.session.scalar(select(User).where(User.email == "gone@x.vn")) is None


def test_the_unit_trail_lists_each_change_and_exports_formulas_as_text(world):
    focal = world.client("focal")
    sid = world.subs["1.1.1"][0]
    data = world.full_sheet(**{f"note_{sid}": '=HYPERLINK("http://evil")', "action": "save"})
    focal.post(world.sheet_url(), data=data)
    focal.post(world.sheet_url(), data=data | {f"points_{sid}": "1.25"})
    page = focal.get(world.sheet_url() + "/audit?lang=en")
    assert "(UTC+7)" in page.text  # when, in the ministry's time
    assert page.status_code == 200
    assert "self-assessed points: 3.00; note: =HYPERLINK" in page.text.replace("&#34;", '"')
    assert "self-assessed points: 1.25" in page.text and "focal.c01@x.vn" in page.text
    vi = focal.get(world.sheet_url() + "/audit?lang=vi").text
    assert "điểm tự đánh giá: 3,00; ghi chú: =HYPERLINK" in vi.replace("&#34;", '"')
    assert "self:" not in vi and "note:" not in vi
    exported = focal.get(world.sheet_url() + "/audit.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert len(rows) == 2 * len(world.subs) - len(world.subs) + 1
    change = [r for r in rows if r["subcriterion"] == "1.1.1"][-1]
    assert change["old"].startswith("self: 3") and change["new"].startswith("self: 1.25")
    assert change["who"] == "focal.c01@x.vn" and change["action"] == "assessment.save"


def test_cells_that_would_run_as_formulas_are_quoted_in_the_csv():
    class Entry:
        created_at = __import__("datetime").datetime(2026, 1, 1)
        actor, action = "=cmd|' /C calc'!A0", "assessment.save"
        old, new = None, {"subcriterion": "1.1.1", "note": "x"}

    for start in ("=", "+", "-", "@", "\t", "\r"):
        Entry.reason = f"{start}SUM(A1)"
        row = next(csv.DictReader(io.StringIO(audit_csv([Entry]), newline="")))
        assert row["reason"] == f"'{start}SUM(A1)" and row["who"].startswith("'=")
