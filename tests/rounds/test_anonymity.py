"""Nothing in the database, the exports or the logs links a response to its invitation."""

from __future__ import annotations

import csv
import io
import json
import logging

from sqlalchemy import DateTime, func, inspect, select

from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite
from tests.rounds.httpserver import Browser, serving

PERSON = "ngoc.bui@example.gov.vn,Bùi Thu Ngọc,official,C04,C04-official,C04-D2,F\n"


def test_response_rows_hold_design_variables_answers_and_a_day_only(round_app):
    app, _ = round_app
    with app.app_context():
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("responses")}
        foreign = inspect(db.engine).get_foreign_keys("responses")
    assert set(columns) == {
        "id",
        "round_id",
        "unit_id",
        "group_code",
        "stratum",
        "psu",
        "attributes",
        "submitted_on",
        "channel",
        "answers",
        "is_burst",  # came in a burst on an open link (issue 17 item 5): no time, no address
    }
    assert {fk["referred_table"] for fk in foreign} == {"rounds", "units"}
    assert not any(isinstance(c["type"], DateTime) for c in columns.values())


def test_submitting_leaves_no_trace_that_ties_the_response_to_the_invitation(round_app):
    app, round_id = round_app
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + PERSON)
        before = _invitation_row(app)
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    client = app.test_client()
    client.get(f"/r/{token}")
    client.post("/respond", data={"s": "0", "action": "submit", **answers(2)})
    with app.app_context():
        after = _invitation_row(app)
        response = db.session.scalar(select(Response))
        assert {k for k in before if before[k] != after[k]} == {"is_used"}
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        row = {c.key: getattr(response, c.key) for c in inspect(Response).mapper.column_attrs}
        text = json.dumps(row, default=str)
        for secret in (
            token,
            after["token_hash"].hex(),
            "Bùi Thu Ngọc",
            "ngoc.bui",
        ):
            assert secret not in text
        assert response.attributes == {"sex": "F"}
        assert len(response.id) == 32 and response.channel == "online"


def test_exports_carry_no_response_and_progress_carries_only_counts(round_app):
    app, round_id = round_app
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + PERSON)
    client = app.test_client()
    client.get(f"/r/{token}")
    client.post("/respond", data={"s": "0", "action": "submit", **answers(2)})
    with app.app_context():
        from survey_app.formats.links_csv import links_csv
        from survey_app.invitations.operations import links_rows, reissue_round_links
        from survey_app.rounds.models import Round
        from survey_app.rounds.queries import get_progress

        response_id = db.session.scalar(select(Response.id))
        exported = links_csv(links_rows(reissue_round_links(db.session.get(Round, round_id)), "h"))
        progress = json.dumps([r.as_dict() for r in get_progress(db.session.get(Round, round_id))])
    assert list(csv.DictReader(io.StringIO(exported))) == []  # the answered person is not re-issued
    assert response_id not in exported and response_id not in progress
    assert set(json.loads(progress)[0]) == {
        "unit",
        "group",
        "invited",
        "responded",
        "rate",
        "other_channels",
    }


def test_logs_hold_no_token_hash_name_address_or_response_id(round_app, caplog):
    app, round_id = round_app
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL statements, as an admin might
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + PERSON)
    with serving(app) as port:
        browser = Browser(port)
        assert browser.request("GET", f"/r/{token}")[0] == 200
        assert (
            browser.request("POST", "/respond", {"s": "0", "action": "save", "Q01": "4"})[0] == 303
        )
        assert browser.request("GET", "/respond")[0] == 200
        status, _, _ = browser.request(
            "POST", "/respond", {"s": "0", "action": "submit", **answers(3)}
        )
        assert status == 303
    with app.app_context():
        digest = db.session.scalar(select(Invitation.token_hash))
        response_id = db.session.scalar(select(Response.id))
    logged = caplog.text
    assert "/r/[redacted]" in logged and "INSERT INTO responses" in logged
    for secret in (token, digest.hex(), repr(digest), "Bùi Thu Ngọc", "ngoc.bui", response_id):
        assert secret not in logged


def _invitation_row(app) -> dict:
    inv = db.session.scalar(select(Invitation))
    db.session.refresh(inv)
    return {c.key: getattr(inv, c.key) for c in inspect(Invitation).mapper.column_attrs}
