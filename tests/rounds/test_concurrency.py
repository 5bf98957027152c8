"""Exactly one response per invitation under a burst of concurrent submits of one link."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.responses.models import Response
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite
from tests.rounds.httpserver import Browser, serving

SUBMITTERS = 50


def test_fifty_concurrent_submits_of_one_link_store_exactly_one_response(round_app):
    app, round_id = round_app
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + "a@x.vn,A,leader,C03,C03-leader,C03-D1,F\n")
    with serving(app) as port:
        browsers = [Browser(port) for _ in range(SUBMITTERS)]
        for b in browsers[: SUBMITTERS // 2]:
            assert b.request("GET", f"/r/{token}")[0] == 200
        for b in browsers[SUBMITTERS // 2 :]:  # the other half replay one session (double click)
            b.cookie = browsers[0].cookie
        statuses = _submit_together(browsers)
    assert statuses[303] == 1, statuses
    assert statuses[409] == SUBMITTERS - 1, statuses
    assert not [s for s in statuses if s >= 500]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        stored = db.session.scalar(select(Response.answers))
        assert len(stored) == 12 and len(set(stored.values())) == 1  # one submit's answers
        assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
        assert db.session.scalar(select(Invitation.is_used)) is True


def _submit_together(browsers) -> Counter:
    barrier = threading.Barrier(len(browsers))
    results: list[int] = []
    lock = threading.Lock()

    def submit(browser, value):
        barrier.wait()
        status, _, _ = browser.request(
            "POST", "/respond", {"s": "0", "action": "submit", **answers(value)}
        )
        with lock:
            results.append(status)

    threads = [threading.Thread(target=submit, args=(b, 1 + i % 4)) for i, b in enumerate(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(results)


PAIRS = 20


def test_a_save_racing_a_submit_never_leaves_a_draft_behind(round_app):
    """Each link is saved (one answer) and submitted (all of them) at the same moment, from
    two browsers. Whichever comes first, the result is one response and no draft: a save
    that lost is refused, and a submit that lost the race reads the saved draft."""
    app, round_id = round_app
    people = "".join(f"p{i}@x.vn,P{i},leader,C03,C03-leader,C03-D1,F\n" for i in range(PAIRS))
    with app.app_context():
        tokens = invite(round_id, RESPONDENTS_HEADER + people)
    statuses: Counter = Counter()
    with serving(app) as port:
        for token in tokens:
            saver, submitter = Browser(port), Browser(port)
            for browser in (saver, submitter):
                assert browser.request("GET", f"/r/{token}")[0] == 200
            barrier = threading.Barrier(2)

            def post(browser, data, barrier=barrier):
                barrier.wait()
                statuses[browser.request("POST", "/respond", {"s": "0", **data})[0]] += 1

            threads = [
                threading.Thread(target=post, args=(saver, {"action": "save", "Q01": "1"})),
                threading.Thread(target=post, args=(submitter, {"action": "submit", **answers(3)})),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
    assert not [s for s in statuses if s >= 500], statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == PAIRS
        assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
        assert all(db.session.scalars(select(Invitation.is_used)))


def test_two_devices_saving_one_link_at_once_merge_their_answers(round_app):
    """A phone and a laptop save different answers of one link at the same moment: the
    draft keeps every answer whose save was accepted (the invitation is locked before the
    draft is read, so the second save reads the first's answers), and none gets a 500."""
    app, round_id = round_app
    people = "".join(f"p{i}@x.vn,P{i},leader,C03,C03-leader,C03-D1,F\n" for i in range(PAIRS))
    with app.app_context():
        tokens = invite(round_id, RESPONDENTS_HEADER + people)
    accepted: dict[str, set[str]] = {f"p{i}@x.vn": set() for i in range(PAIRS)}
    statuses: Counter = Counter()
    with serving(app) as port:
        for i, token in enumerate(tokens):
            devices = Browser(port), Browser(port)
            for browser in devices:
                assert browser.request("GET", f"/r/{token}")[0] == 200
            barrier = threading.Barrier(2)

            def save(browser, code, barrier=barrier, email=f"p{i}@x.vn"):
                barrier.wait()
                status = browser.request(
                    "POST", "/respond", {"s": "0", "action": "save", code: "2"}
                )[0]
                statuses[status] += 1
                if status == 303:
                    accepted[email].add(code)

            threads = [
                threading.Thread(target=save, args=(device, code))
                for device, code in zip(devices, ("Q01", "Q02"), strict=True)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
    assert set(statuses) <= {303, 409}, statuses  # 409: "busy, save again" after 1 s
    with app.app_context():
        rows = db.session.execute(
            select(Invitation.email, ResponseDraft.answers).join(
                ResponseDraft, ResponseDraft.invitation_id == Invitation.id
            )
        ).all()
    assert {email: set(answers) for email, answers in rows} == {
        email: codes for email, codes in accepted.items() if codes
    }, statuses


def _burn(stop) -> None:
    while not stop.is_set():
        pass


def test_fifty_submits_beside_a_cpu_burner_get_409_or_303_never_500(round_app):
    """The same burst with the machine saturated (two busy processes): slow, but every
    request is answered 303 or 409, and exactly one response is stored."""
    import multiprocessing

    app, round_id = round_app
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + "b@x.vn,B,leader,C03,C03-leader,C03-D1,F\n")
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    burners = [context.Process(target=_burn, args=(stop,), daemon=True) for _ in range(2)]
    for p in burners:
        p.start()
    try:
        with serving(app) as port:
            browsers = [Browser(port) for _ in range(SUBMITTERS)]
            for b in browsers:
                assert b.request("GET", f"/r/{token}")[0] == 200
            statuses = _submit_together(browsers)
    finally:
        stop.set()
        for p in burners:
            p.join(timeout=5)
    assert set(statuses) <= {303, 409} and statuses[303] == 1, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
