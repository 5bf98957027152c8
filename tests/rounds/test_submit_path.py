"""The submit request is as lean as the benchmark floor: one transaction, no other query."""

from __future__ import annotations

from sqlalchemy import event

from survey_app.extensions import db
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite


def test_a_submit_runs_one_transaction_of_three_statements(round_app):
    app, round_id = round_app
    with app.app_context():
        first, second = invite(
            round_id,
            RESPONDENTS_HEADER
            + ("a@x.vn,A,leader,C01,C01-leader,D1,F\nb@x.vn,B,leader,C01,C01-leader,D1,F\n"),
        )
        engine = db.engine
    warm = app.test_client()  # the first request of a process reads the questionnaire once
    warm.get(f"/r/{first}")
    warm.post("/respond", data={"s": "0", "action": "submit", **answers()})
    client = app.test_client()
    client.get(f"/r/{second}")
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        stored = client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert stored.status_code == 303
    body = [s for s in statements if s not in ("BEGIN", "COMMIT")]
    assert body == ["UPDATE", "DELETE", "INSERT"], statements  # the answers ride on the INSERT
