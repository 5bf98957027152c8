"""On SQLite a slow request locks nobody out: an upload is read with no transaction open,
and a page that only reads begins a deferred transaction (core/sqlite.py). Issue 17: a
slow upload used to hold the write lock, and sign-ins and submits got "database is
locked" after 14–17 s."""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
import uuid

from sqlalchemy import func, select

from survey_app.core import writer_queue
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from tests.assessments.conftest import EMAILS, PASSWORD
from tests.hardening.conftest import RESPONDENTS
from tests.hardening.test_outages import _checked, _submit
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


#: Another process that holds the writer queue's lock until its input is closed.
_HOLDER = (
    "import fcntl, sys\n"
    "f = open(sys.argv[1], 'ab')\n"
    "fcntl.flock(f, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def _hold(path: str) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def test_writers_in_the_queue_take_turns(tmp_path):
    """Threads of one process each wait for their own turn (one open file each): never
    two inside at once, and every one gets in."""
    database = str(tmp_path / "q.sqlite")
    inside, most, done = [0], [0], []
    guard = threading.Lock()

    def writer():
        for _ in range(25):
            with writer_queue.queued(database, timeout=30):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                with guard:
                    inside[0] -= 1
        done.append(1)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert (most[0], len(done)) == (1, 8)


def test_a_submit_that_waits_too_long_in_the_queue_is_told_and_loses_nothing(world):
    """Another process holds the queue past ``DB_BUSY_TIMEOUT``: the submit answers 503
    with the answers still in the form, as for any outage; once the holder lets go the
    same submit is stored, once (the request that gave up holds no lock afterwards)."""
    app, round_id = world.app, world.round_id
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS + "a@x.vn,A,leader,C03,C03-leader,C03-D1\n")
        database = db.engine.url.database
    respondent = app.test_client()
    assert respondent.get(f"/r/{token}?lang=en").status_code == 200
    app.config["DB_BUSY_TIMEOUT"] = 1
    holder = _hold(writer_queue.lock_path(database))
    try:
        started = time.monotonic()
        failed = _submit(respondent)
        waited = time.monotonic() - started
    finally:
        holder.communicate(timeout=10)  # input closed: it lets go and exits
    assert failed.status_code == 503, failed.status_code
    assert failed.headers["Retry-After"].isdigit()
    assert "Your answers were not stored; press submit again." in failed.text
    assert _checked(failed.text) == {code: "2" for code in answers()}
    assert 1 <= waited < 10, waited
    assert _submit(respondent).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
