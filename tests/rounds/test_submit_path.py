"""The submit request is as lean as the benchmark floor: one transaction, no other query.

On PostgreSQL a response without a saved draft is one statement (the invitation's UPDATE
in a WITH clause feeding the INSERT), its own transaction; with a draft, the transaction
also deletes the draft and merges its answers (and the one statement is not even tried
when the posted answers leave questions the draft may hold: unless the respondent has
confirmed leaving them empty, only the merged answers can tell). SQLite runs the
statements one by one in one ``BEGIN IMMEDIATE`` transaction, and touches the drafts
table only if there is one.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.responses.models import Response
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite

SQL = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "WITH")
PEOPLE = "".join(f"{c}@x.vn,{c.upper()},leader,C01,C01-leader,D1,F\n" for c in "abc")
EXPECTED = {
    ("postgresql", False): ["WITH"],
    ("postgresql", True): ["BEGIN", "UPDATE", "DELETE", "INSERT", "COMMIT"],
    ("sqlite", False): ["BEGIN", "UPDATE", "INSERT", "COMMIT"],
    ("sqlite", True): ["BEGIN", "UPDATE", "DELETE", "INSERT", "COMMIT"],
}


@pytest.mark.parametrize("with_draft", [False, True], ids=["no-draft", "draft"])
def test_a_submit_runs_one_transaction_and_no_other_query(round_app, caplog, with_draft):
    """Every statement, the engine's and the driver SQL's alike, is in the engine's log."""
    app, round_id = round_app
    with app.app_context():
        first, second, _ = invite(round_id, RESPONDENTS_HEADER + PEOPLE)
        dialect = db.engine.dialect.name
    warm = app.test_client()  # the first request of a process reads the questionnaire once
    warm.get(f"/r/{first}")
    warm.post("/respond", data={"s": "0", "action": "submit", **answers()})
    client = app.test_client()
    client.get(f"/r/{second}")
    if with_draft:  # Q01 saved earlier; the submit sends the rest
        client.post("/respond", data={"s": "0", "action": "save", "Q01": "1"})
    rest = {k: v for k, v in answers(4).items() if not (with_draft and k == "Q01")}
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        stored = client.post("/respond", data={"s": "0", "action": "submit", **rest})
    assert stored.status_code == 303
    words = [r.getMessage().split(maxsplit=1)[0].upper() for r in caplog.records]
    statements = [w for w in words if w in SQL]
    assert statements == EXPECTED[dialect, with_draft], statements
    with app.app_context():
        saved = db.session.scalars(select(Response.answers)).all()
        assert sorted(a["Q01"] for a in saved) == ([1, 3] if with_draft else [3, 4])
        assert db.session.scalar(select(ResponseDraft)) is None
        assert db.session.scalars(select(Invitation.is_used)).all().count(True) == 2


def test_a_confirmed_partial_submit_is_as_lean_as_a_complete_one(round_app, caplog):
    """After the review, "submit without answering these questions" stores what was
    given with the same statements as a complete submit (no draft here)."""
    app, round_id = round_app
    with app.app_context():
        first, second, _ = invite(round_id, RESPONDENTS_HEADER + PEOPLE)
        dialect = db.engine.dialect.name
    warm = app.test_client()
    warm.get(f"/r/{first}")
    warm.post("/respond", data={"s": "0", "action": "submit", **answers()})
    client = app.test_client()
    client.get(f"/r/{second}")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        stored = client.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "2"})
    assert stored.headers["Location"] == "/respond/done"
    words = [r.getMessage().split(maxsplit=1)[0].upper() for r in caplog.records]
    assert [w for w in words if w in SQL] == EXPECTED[dialect, False]
    with app.app_context():
        assert sorted(a["Q01"] for a in db.session.scalars(select(Response.answers))) == [2, 3]


def test_the_page_a_link_opens_reads_nothing_and_later_pages_show_what_was_saved(round_app, caplog):
    """The link has just read the invitation (usable, nothing saved): the form page it
    redirects to does not read it again. Once this browser has saved, every page does."""
    app, round_id = round_app
    with app.app_context():
        first, second, _ = invite(round_id, RESPONDENTS_HEADER + PEOPLE)
    warm = app.test_client()  # the questionnaire is read once per process
    warm.get(f"/r/{first}")
    warm.get("/respond")
    client = app.test_client()
    client.get(f"/r/{second}")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        blank = client.get("/respond")
    assert blank.status_code == 200 and " checked" not in blank.text
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy")] == []
    client.post("/respond", data={"s": "0", "action": "save", "Q01": "2"})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        saved = client.get("/respond")
    words = [r.getMessage().split(maxsplit=1)[0].upper() for r in caplog.records]
    assert [w for w in words if w in SQL] == ["SELECT"]
    assert 'id="Q01-2" value="2" checked' in saved.text


def test_a_link_still_opens_after_the_server_closed_the_pooled_connections(round_app):
    """PostgreSQL: if the server has closed the pool's connections (a restart, an idle
    timeout), the statements that run alone are sent once more on a new connection,
    rather than failing the request."""
    app, round_id = round_app
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite connections are never lost")
        first, second, _ = invite(round_id, RESPONDENTS_HEADER + PEOPLE)
    assert app.test_client().get(f"/r/{first}").status_code == 200
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    client = app.test_client()
    assert client.get(f"/r/{second}").status_code == 200
    assert (
        client.post("/respond", data={"s": "0", "action": "submit", **answers()}).status_code == 303
    )


def test_the_submits_own_statements_pass_the_guard_of_orm_writes(sqlite_round, monkeypatch):
    """The driver-SQL submit and the draft upsert check their values as ``before_flush``
    checks ORM objects (core/storable.py): a NUL in an answer is refused, not stored."""
    from survey_app.core import storable
    from survey_app.responses import submit

    with pytest.raises(storable.UnstorableText):
        storable.check_values(Response.__table__, {"answers": {"Q01": "a\x00b"}})
    storable.check_values(Response.__table__, {"answers": {"Q01": 3}, "group_code": "leader"})
    seen = []
    monkeypatch.setattr(submit, "check_values", lambda table, values: seen.append(table.name))
    app, round_id = sqlite_round
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + PEOPLE.splitlines(True)[0])
    client = app.test_client()
    client.get(f"/r/{token}")
    client.post("/respond", data={"s": "0", "action": "save", "Q01": "2"})
    client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    # the prepared submit checks the posted answers before it tries (and finds the draft);
    # the transaction that merges the draft checks the merged ones
    assert seen == ["response_drafts", "responses", "responses"]


def test_the_statements_that_run_alone_leave_no_pool_connection_in_autocommit(round_app):
    """PostgreSQL sends the link's read and the one-statement submit in autocommit (one
    round trip each); every connection goes back to the pool in the engine's own mode, so
    the ORM's transactions that follow are transactions again; also after a submit that
    the one statement refuses (the link used meanwhile in another browser)."""
    app, round_id = round_app
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite's statements run without BEGIN anyway")
        first, second, _ = invite(round_id, RESPONDENTS_HEADER + PEOPLE)
    browsers = [app.test_client() for _ in range(3)]
    for client, token in zip(browsers, (first, first, second), strict=True):
        assert client.get(f"/r/{token}").status_code == 200
    for client in browsers:
        client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    with app.app_context():
        assert db.session.scalars(select(Invitation.is_used)).all().count(True) == 2
        assert len(db.session.scalars(select(Response)).all()) == 2
    with app.app_context():
        pool = db.engine.pool
        held = [db.engine.raw_connection() for _ in range(pool.checkedin())]
        try:
            assert held and not any(c.driver_connection.autocommit for c in held)
        finally:
            for c in held:
                c.close()
