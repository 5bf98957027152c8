"""A mailing that fails never strands a respondent (issue 15, item 1): a real local SMTP
server (aiosmtpd) that first is not there, then drops the connection mid-batch, then
accepts; the retries go through the scheduler's ``mail-retries`` entry."""

from __future__ import annotations

import socket
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.rounds.models import Round
from tests.rounds.conftest import RESPONDENTS_HEADER, invite
from tests.rounds.test_mail import Inbox

PEOPLE = [f"p{i}@x.vn" for i in range(5)]
LIST = RESPONDENTS_HEADER + "".join(
    f"{a},Người {i},leader,C01,C01-leader,C01-D1,M\n" for i, a in enumerate(PEOPLE)
)


class FlakyInbox(Inbox):
    """Accepts ``budget`` messages, then answers 421 (smtplib then drops the connection)."""

    budget: int | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.budget is not None:
            if self.budget <= 0:
                return "421 4.3.2 Service shutting down, closing channel"
            self.budget -= 1
        return await super().handle_DATA(server, session, envelope)


class Server:
    """A port where, at first, nothing listens (connection refused)."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.inbox, self.controller = FlakyInbox(), None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.stop()


def _retry_due_mails(app) -> None:
    """What the scheduler does once a minute: the ``mail-retries`` entry, then the outbox."""
    from worker.celery_app import celery_init_app
    from worker.outbox import dispatch_pending
    from worker.schedules import schedule_mail_retries

    celery = celery_init_app(app)
    with app.app_context():  # the next attempts are due (as after the backoff)
        due = update(Invitation).where(Invitation.mail_retry_at.is_not(None))
        db.session.execute(due.values(mail_retry_at=utcnow()))
        db.session.commit()
        schedule_mail_retries.run(slot=uuid.uuid4().hex)
        dispatch_pending(celery)


def _failures(app, round_id):
    from survey_app.rounds.queries import list_mail_failures

    with app.app_context():
        return [(f.reason, f.count) for f in list_mail_failures(db.session.get(Round, round_id))]


def test_refused_dropped_then_accepted_leaves_everyone_exactly_one_working_link(
    sqlite_round, server
):
    app, round_id = sqlite_round
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, RATELIMIT_ENABLED=False)
    from survey_app.invitations.sending import send_invitations, send_reminders

    with app.app_context():
        first = dict(zip(PEOPLE, invite(round_id, LIST), strict=True))
        refused = send_invitations(db.session.get(Round, round_id))
    assert (refused.sent, refused.failed) == (0, 5)
    assert refused.summary() == "5 of 5 mails failed: the mail server refused the connection"
    assert _failures(app, round_id) == [("the mail server refused the connection", 5)]

    server.start()
    server.inbox.budget = 2  # two accepted, then the server closes the connection
    _retry_due_mails(app)
    assert len(server.inbox.messages) == 2
    assert _failures(app, round_id) == [("the mail server closed the connection", 3)]

    server.inbox.budget = None
    _retry_due_mails(app)
    assert len(server.inbox.messages) == 5 and _failures(app, round_id) == []

    server.inbox.budget = 1  # a reminder: one accepted, the others keep their invitation
    with app.app_context():
        reminded = send_reminders(db.session.get(Round, round_id))
    assert (reminded.sent, reminded.failed) == (1, 4)
    _assert_one_working_link_each(app, server.inbox, first)


def _assert_one_working_link_each(app, inbox, first: dict[str, str]) -> None:
    client = app.test_client()
    for person in PEOPLE:
        received = inbox.links(person)
        assert received, person
        every = [first[person], *received]
        working = [t for t in every if client.get(f"/r/{t}").status_code == 200]
        assert working == [received[-1]], person  # the last link mailed, and no other
    with app.app_context():
        waiting = select(db.func.count()).where(Invitation.mail_kind.is_not(None))
        assert db.session.scalar(waiting) == 4  # the failed reminders, to be retried


def test_a_failed_mailing_changes_no_link_and_the_cli_says_why(sqlite_round, server):
    app, round_id = sqlite_round
    with app.app_context():
        tokens = invite(round_id, LIST)
    env = {
        "PARINDEX_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": app.config["SECRET_KEY"],
        "PARINDEX_MAIL_SERVER": "127.0.0.1",
        "PARINDEX_MAIL_PORT": str(server.port),
    }
    from survey_app.cli import main

    result = CliRunner().invoke(main, ["rounds", "send", str(round_id)], env=env)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "5 of 5 mails failed: the mail server refused the connection (the worker retries them)"
    )
    client = app.test_client()
    assert all(client.get(f"/r/{t}").status_code == 200 for t in tokens)
    with app.app_context():
        inv = db.session.scalars(select(Invitation)).first()
        assert inv.mail_attempts == 1 and inv.sent_at is None and inv.mail_retry_at is not None


def test_the_round_page_shows_failed_mails_grouped_by_reason(sqlite_round, server):
    from survey_app.accounts.operations import create_user

    app, round_id = sqlite_round
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    from survey_app.invitations.sending import send_invitations

    with app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        invite(round_id, LIST)
        send_invitations(db.session.get(Round, round_id))
    admin = app.test_client()
    admin.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    for path in ("", "/invitations"):
        page = admin.get(f"/admin/rounds/{round_id}{path}?lang=en").get_data(as_text=True)
        assert 'data-failed="5"' in page, path
        assert "5 mails could not be sent" in page
        assert 'data-reason="the mail server refused the connection"' in page
        assert "keep the link they already had" in page and "next attempt" in page


def test_a_mail_another_sender_holds_is_neither_sent_again_nor_reset(sqlite_round, server):
    import datetime as dt

    app, round_id = sqlite_round
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    from survey_app.invitations.sending import send_invitations

    with app.app_context():
        invite(round_id, LIST)
        held = utcnow() + dt.timedelta(minutes=5)  # another worker is sending p0's mail
        db.session.execute(
            update(Invitation)
            .where(Invitation.email == PEOPLE[0])
            .values(mail_kind="invitation", mail_retry_at=utcnow(), mail_claimed_until=held)
        )
        db.session.commit()
        assert send_invitations(db.session.get(Round, round_id)).sent == 4
        p0 = db.session.scalar(select(Invitation).where(Invitation.email == PEOPLE[0]))
        assert p0.sent_at is None and p0.mail_claimed_until is not None
    assert sorted(m["To"] for m in server.inbox.messages) == PEOPLE[1:]
