"""The submit request is as lean as the benchmark floor: one transaction, no other query."""

from __future__ import annotations

import logging

from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite

SQL = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "WITH")


def test_a_submit_runs_one_transaction_of_three_statements(round_app, caplog):
    """Every statement, the engine's and the driver SQL's alike, is in the engine's log."""
    app, round_id = round_app
    with app.app_context():
        first, second = invite(
            round_id,
            RESPONDENTS_HEADER
            + ("a@x.vn,A,leader,C01,C01-leader,D1,F\nb@x.vn,B,leader,C01,C01-leader,D1,F\n"),
        )
    warm = app.test_client()  # the first request of a process reads the questionnaire once
    warm.get(f"/r/{first}")
    warm.post("/respond", data={"s": "0", "action": "submit", **answers()})
    client = app.test_client()
    client.get(f"/r/{second}")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        stored = client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    assert stored.status_code == 303
    words = [r.getMessage().split(maxsplit=1)[0].upper() for r in caplog.records]
    statements = [w for w in words if w in SQL]
    # the answers ride on the INSERT; the ORM session began no transaction of its own
    assert statements == ["BEGIN", "UPDATE", "DELETE", "INSERT", "COMMIT"], statements
