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
from tests.rounds.httpserver import Browser, serving
from tests.rounds.test_concurrency import _submit_together


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
    if opened.status_code != 200:
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
    from survey_app.responses import entries

    monkeypatch.setattr(entries, "limiter", OpenLinkLimiter(per_address=2, burst=100))
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    assert [_answer(app, token)[0] for _ in range(3)] == [303, 303, 429]
    assert _answer(app, token, "10.0.0.2")[0] == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 3


def test_responses_of_a_burst_are_marked_and_the_admin_told_once(sqlite_round, monkeypatch):
    from survey_app.responses import entries

    monkeypatch.setattr(entries, "limiter", OpenLinkLimiter(per_address=100, burst=4))
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    for i in range(9):
        assert _answer(app, token, f"10.0.1.{i}")[0] == 303
    with app.app_context():
        marks = db.session.scalars(select(Response.is_burst)).all()
        assert sorted(marks) == [False] * 4 + [True] * 5  # above 4 within the minute
        assert db.session.scalar(select(OpenLink.suspicious_bursts)) == 1  # one burst


def test_a_replayed_pre_submit_cookie_stores_nothing(round_app, monkeypatch):
    """The session cookie taken before a submit, sent again four times (one after the
    other, then four at once): the opening's nonce was used up by the first submit."""
    from survey_app.responses import entries

    monkeypatch.setattr(entries, "limiter", OpenLinkLimiter(per_address=100, burst=100))
    app, round_id = round_app
    token = _open_link(app, round_id)
    client = app.test_client()
    assert client.get(f"/o/{token}").status_code == 200
    before = client.get_cookie("session").value
    first = client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    assert first.status_code == 303
    for _ in range(4):
        replay = app.test_client()
        replay.set_cookie("session", before)
        again = replay.post("/respond", data={"s": "0", "action": "submit", **answers(2)})
        assert again.status_code == 409
    with serving(app) as port:
        opener = Browser(port)
        assert opener.request("GET", f"/o/{token}")[0] == 200
        browsers = [Browser(port) for _ in range(4)]
        for b in browsers:
            b.cookie = opener.cookie
        statuses = _submit_together(browsers)
    assert sorted(statuses.elements()) == [303, 409, 409, 409], statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 2


def _answer_in_a_process(config: dict, token: str, times: int, results) -> None:
    """A separate worker process: its own app (and counters client) on the same files."""
    from survey_app import create_app

    app = create_app(config)
    results.put([_answer(app, token, "10.9.9.9")[0] for _ in range(times)])


def test_the_per_address_cap_holds_across_processes(sqlite_round, monkeypatch):
    """Three processes answer from one address, three times each, under a cap of four:
    four are stored in all (the counters are in the instance's shared store), not 3 × 3."""
    import multiprocessing

    from survey_app.responses import entries

    monkeypatch.setattr(entries, "limiter", OpenLinkLimiter(per_address=4, burst=100))
    app, round_id = sqlite_round
    token = _open_link(app, round_id)
    config = {
        k: app.config[k]
        for k in ("INSTANCE_PATH", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BROKER_URL")
    }
    config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_answer_in_a_process, args=(config, token, 3, results))
        for _ in range(3)
    ]
    for w in workers:
        w.start()
    statuses = sorted(s for _ in workers for s in results.get(timeout=60))
    for w in workers:
        w.join(timeout=10)
    assert statuses == [303] * 4 + [429] * 5, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 4


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
