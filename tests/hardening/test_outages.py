"""The database stops or freezes: 503 with Retry-After within seconds, the truth on the
page (a failed submit keeps its answers), /healthz says so and /livez does not ask.

On a private PostgreSQL server (tests/privatepg.py), stopped and frozen with SIGSTOP."""

from __future__ import annotations

import re
import secrets
import threading
import time

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.responses.models import Response
from tests.privatepg import PrivatePostgres, available
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite, load_examples, make_round
from tests.services import require_or_skip

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server():
    require_or_skip(available(), "initdb/pg_ctl not installed")
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.remove()


@pytest.fixture
def site(server, tmp_path):
    """(app, respondent client on the form page, signed-in admin client) on the server
    with 1-second timeouts; the schema is made afresh for each test."""
    from flask_migrate import downgrade, upgrade

    from survey_app import create_app
    from survey_app.accounts.operations import create_user
    from survey_app.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": server.url,
            "SECRET_KEY": "t" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
            "DB_STATEMENT_TIMEOUT": 1,
            "DB_CONNECT_TIMEOUT": 1,
        }
    )
    with app.app_context():
        upgrade()
        load_examples()
        round_id = make_round()
        create_user("admin@x.vn", "admin", PASSWORD)
        db.session.commit()
        [token] = invite(round_id, RESPONDENTS_HEADER + "a@x.vn,A,leader,C03,C03-L,C03-D1,F\n")
    respondent = app.test_client()
    assert respondent.get(f"/r/{token}").status_code == 200
    assert respondent.get("/respond?lang=en").status_code == 200
    admin = app.test_client()
    assert admin.post("/login", data={"email": "admin@x.vn", "password": PASSWORD}).status_code
    assert admin.get("/admin/rounds/?lang=en").status_code == 200
    yield app, respondent, admin
    server.thaw()
    if not (server.data / "postmaster.pid").exists():
        server.start()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        downgrade(revision="base")
        db.engine.dispose()


def _submit(client, value=2):
    return client.post("/respond", data={"s": "0", "action": "submit", **answers(value)})


def _checked(html: str) -> dict[str, str]:
    """Item code → the value checked in the form."""
    found = {}
    for tag in re.findall(r"<input[^>]*\bchecked\b[^>]*>", html):
        name, value = re.search(r'name="(\w+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            found[name.group(1)] = value.group(1)
    return found


def test_a_stopped_database_answers_503_and_keeps_the_answers_in_the_form(server, site):
    app, respondent, admin = site
    server.stop()
    failed = _submit(respondent)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"].isdigit()
    assert "Your answers were not stored; press submit again." in failed.text
    assert _checked(failed.text) == {code: "2" for code in answers()}
    page = admin.get("/admin/rounds/?lang=en")
    assert page.status_code == 503 and "Retry-After" in page.headers
    assert "briefly unavailable" in page.text
    client = app.test_client()
    link = client.get(f"/r/{secrets.token_urlsafe(32)}?lang=en")  # a respondent's link
    assert link.status_code == 503 and "Your link is still valid" in link.text
    assert "/login" not in link.text  # a respondent's page: no staff header
    assert client.get("/healthz").status_code == 503
    assert client.get("/livez").status_code == 200
    server.start()
    assert _submit(respondent).status_code == 303  # pressed again: stored
    assert client.get("/healthz").status_code == 200


def test_a_frozen_database_answers_503_within_two_seconds_not_never(server, site):
    app, respondent, admin = site
    health = app.test_client()
    assert health.get("/healthz").status_code == 200
    requests = {
        "submit": lambda: _submit(respondent),
        "admin": lambda: admin.get("/admin/rounds/?lang=en"),
        "healthz": lambda: health.get("/healthz"),
    }
    answered: dict[str, tuple[int, float]] = {}
    pages = {}

    def timed(name, call):
        start = time.monotonic()
        try:
            pages[name] = call()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            answered[name] = (repr(error), time.monotonic() - start)
            return
        answered[name] = (pages[name].status_code, time.monotonic() - start)

    threads = [threading.Thread(target=timed, args=item) for item in requests.items()]
    server.freeze()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    finally:
        server.thaw()
    assert {name: status for name, (status, _) in answered.items()} == dict.fromkeys(
        requests, 503
    ), answered
    assert max(seconds for _, seconds in answered.values()) < 3.0, answered
    assert "press submit again" in pages["submit"].text
    assert _checked(pages["submit"].text) == {code: "2" for code in answers()}
    assert health.get("/healthz").status_code == 200  # thawed: the pool recovers
    # the submit sent before the freeze may have been stored as the server woke: the
    # page said "could not confirm"; pressed again it is stored, or found stored, once
    assert _submit(respondent).status_code in (303, 409)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
