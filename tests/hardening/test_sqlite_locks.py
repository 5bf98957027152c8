"""On SQLite a slow request locks nobody out: an upload is read with no transaction open,
and a page that only reads begins a deferred transaction (core/sqlite.py). Issue 17: a
slow upload used to hold the write lock, and sign-ins and submits got "database is
locked" after 14–17 s."""

from __future__ import annotations

import http.client
import threading
import time
import uuid

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from tests.assessments.conftest import EMAILS, PASSWORD
from tests.hardening.conftest import RESPONDENTS
from tests.rounds.conftest import answers, invite
from tests.rounds.httpserver import Browser, serving

#: The longest a held request waits for the test to release it.
HOLD_SECONDS = 60


def _held(original, started: threading.Event, release: threading.Event):
    """``original``, held after it is reached until the test sets ``release``: the other
    requests are made while it is held, so each one that completes was not waiting for it
    (an ordering, not a timing)."""

    def slow(*args, **kwargs):
        started.set()
        release.wait(HOLD_SECONDS)
        return original(*args, **kwargs)

    return slow


def _upload(port: int, cookie: str, path: str, field: str, name: str, data: bytes):
    """A multipart POST (the Browser of httpserver.py sends forms only)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def _timed(request) -> tuple[float, tuple]:
    started = time.perf_counter()
    result = request()
    return time.perf_counter() - started, result


def test_a_slow_upload_locks_out_no_sign_in_page_or_submit(world, monkeypatch):
    from survey_app.rounds import actions

    app, round_id = world.app, world.round_id
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS + "a@x.vn,A,leader,C03,C03-leader,C03-D1\n")
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(
        actions, "parse_respondents", _held(actions.parse_respondents, started, release)
    )
    upload_status: list[int] = []
    with serving(app) as port:
        admin = Browser(port)
        assert (
            admin.request("POST", "/login", {"email": EMAILS["admin"], "password": PASSWORD})[0]
            == 302
        )
        listed = RESPONDENTS + "b@x.vn,B,leader,C01,C01-leader,C01-D1\n"
        uploader = threading.Thread(
            target=lambda: upload_status.append(
                _upload(port, admin.cookie, f"/admin/rounds/{round_id}/invitations",
                        "respondents", "list.csv", listed.encode())
            )
        )  # fmt: skip
        uploader.start()
        assert started.wait(10), "the upload never reached its parser"

        viewer, respondent = Browser(port), Browser(port)
        timings = {
            "sign-in": _timed(
                lambda: viewer.request(
                    "POST", "/login", {"email": EMAILS["viewer"], "password": PASSWORD}
                )
            ),
            "results page": _timed(lambda: viewer.request("GET", f"/results/{round_id}")),
            "link": _timed(lambda: respondent.request("GET", f"/r/{token}")),
            "submit": _timed(
                lambda: respondent.request(
                    "POST", "/respond", {"s": "0", "action": "submit", **answers(3)}
                )
            ),
        }
        assert uploader.is_alive(), "the slow upload should still be running"
        release.set()
        uploader.join(timeout=HOLD_SECONDS)
    for what, (seconds, (status, _, _)) in timings.items():
        print(f"{what}: {status} in {seconds * 1000:.0f} ms")
    assert {what: status for what, (_, (status, _, _)) in timings.items()} == {
        "sign-in": 302,
        "results page": 200,
        "link": 200,
        "submit": 303,
    }
    assert upload_status and upload_status[0] in (302, 303), upload_status
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        emails = set(db.session.scalars(select(Invitation.email)))
        assert emails == {"a@x.vn", "b@x.vn"}  # the slow upload stored its list after all


def test_a_slow_page_that_only_reads_blocks_no_writer(world, monkeypatch):
    """The page's transaction is deferred: it reads a snapshot while a submit commits."""
    from survey_app.results import views

    app, round_id = world.app, world.round_id
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS + "a@x.vn,A,leader,C03,C03-leader,C03-D1\n")
    started, release = threading.Event(), threading.Event()
    original = views.render_template

    def slow_render(*args, **kwargs):
        db.session.execute(select(func.count()).select_from(Invitation))  # a read is open
        return _held(original, started, release)(*args, **kwargs)

    monkeypatch.setattr(views, "render_template", slow_render)
    with serving(app) as port:
        reader = Browser(port)
        reader.request("POST", "/login", {"email": EMAILS["viewer"], "password": PASSWORD})
        page = threading.Thread(target=lambda: reader.request("GET", f"/results/{round_id}"))
        page.start()
        assert started.wait(10)
        respondent = Browser(port)
        respondent.request("GET", f"/r/{token}")
        seconds, (status, _, _) = _timed(
            lambda: respondent.request(
                "POST", "/respond", {"s": "0", "action": "submit", **answers(2)}
            )
        )
        assert page.is_alive()  # the submit committed while the page's read was open
        release.set()
        page.join(timeout=HOLD_SECONDS)
    print(f"submit beside a slow page: {status} in {seconds * 1000:.0f} ms")
    assert status == 303
