"""Open links: anyone with the link may answer, within a per-address limit; bursts flagged."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.openlinks.models import OpenLink
from survey_app.openlinks.ratelimit import OpenLinkLimiter
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from tests.rounds.conftest import answers


def _open_link(app, round_id) -> str:
    with app.app_context():
        from survey_app.openlinks.operations import create_open_link

        _, token = create_open_link(db.session.get(Round, round_id), "C05", "official")
        db.session.commit()
        return token


def _answer(app, token, address="10.0.0.1"):
    client = app.test_client()
    env = {"REMOTE_ADDR": address}
    opened = client.get(f"/o/{token}", environ_base=env)
    if opened.status_code != 303:
        return opened.status_code, client
    posted = client.post(
        "/respond", data={"s": "0", "action": "submit", **answers()}, environ_base=env
    )
    return posted.status_code, client


def test_open_link_responses_carry_the_link_design_and_no_save(round_app):
    app, round_id = round_app
    token = _open_link(app, round_id)
    client = app.test_client()
    client.get(f"/o/{token}")
    assert "Save and continue later" not in client.get("/respond?lang=en").text
    status, client = _answer(app, token)
    assert status == 303
    assert client.get(f"/o/{token}").status_code == 409  # same browser, answered already
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert (response.channel, response.group_code, response.stratum, response.psu) == (
            "open_link",
            "official",
            "C05-official",
            "open",
        )


def test_one_address_is_limited_and_others_are_not(sqlite_round, monkeypatch):
    from survey_app.respond import views

    monkeypatch.setattr(views, "limiter", OpenLinkLimiter(per_address=2, burst=100))
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    assert [_answer(app, token)[0] for _ in range(3)] == [303, 303, 429]
    assert _answer(app, token, "10.0.0.2")[0] == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 3


def test_a_burst_of_submissions_is_flagged_for_the_admin(sqlite_round, monkeypatch):
    from survey_app.respond import views

    monkeypatch.setattr(views, "limiter", OpenLinkLimiter(per_address=100, burst=4))
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    for i in range(9):
        assert _answer(app, token, f"10.0.1.{i}")[0] == 303
    with app.app_context():
        assert db.session.scalar(select(OpenLink.suspicious_bursts)) == 2


def test_a_closed_round_or_a_replaced_open_link_takes_no_more_answers(sqlite_round):
    app, round_id = sqlite_round
    old = _open_link(app, round_id)
    new = _open_link(app, round_id)
    assert app.test_client().get(f"/o/{old}").status_code == 404
    with app.app_context():
        from survey_app.rounds.operations import close_round

        close_round(db.session.get(Round, round_id))
        db.session.commit()
    assert app.test_client().get(f"/o/{new}").status_code == 410


def test_a_partial_open_link_answer_is_reviewed_then_confirmed(sqlite_round):
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    client = app.test_client()
    client.get(f"/o/{token}")
    review = client.post("/respond", data={"s": "0", "action": "submit", "Q01": "2"})
    assert review.headers["Location"] == "/respond?s=0&review=1"
    page = client.get(review.headers["Location"]).text
    assert "Còn 11 câu hỏi chưa được trả lời" in page
    assert re.search(r'id="Q01-2" value="2"\s*checked', page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    done = client.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "2"})
    assert done.headers["Location"] == "/respond/done"
    with app.app_context():
        assert db.session.scalar(select(Response.answers)) == {"Q01": 2}
