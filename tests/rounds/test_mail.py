"""Invitations and reminders by e-mail: a real local SMTP server (aiosmtpd), and the
instance mailbox when no server is configured."""

from __future__ import annotations

import email
import logging
import re
import socket

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.rounds.models import Round
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite

LIST = RESPONDENTS_HEADER + (
    "an@x.vn,Nguyễn Văn An,leader,C01,C01-leader,C01-D1,M\n"
    "binh@x.vn,Trần Thị Bình,leader,C01,C01-leader,C01-D1,F\n"
    "chi@x.vn,Lê Chi,official,C01,C01-official,C01-D2,F\n"
    ",Không địa chỉ,official,C01,C01-official,C01-D2,M\n"
)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def links(self, to: str) -> list[str]:
        found = []
        for msg in self.messages:
            if msg["To"] == to:
                found += re.findall(r"/r/([A-Za-z0-9_-]+)", msg.get_payload(decode=True).decode())
        return list(dict.fromkeys(found))  # each message shows its link in vi and in en


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _run_jobs(app) -> None:
    """What the embedded worker does: hand pending jobs to Celery (eager here)."""
    from worker.celery_app import celery_init_app
    from worker.outbox import dispatch_pending

    celery = celery_init_app(app)
    with app.app_context():
        dispatch_pending(celery)


def test_invitations_and_reminders_go_through_smtp_to_the_right_people(sqlite_round, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    app, round_id = sqlite_round
    inbox, port = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        invite(round_id, LIST)
        from survey_app.core import jobs

        jobs.enqueue(jobs.SEND_INVITATIONS, {"round_id": round_id})
        db.session.commit()
    _run_jobs(app)
    assert sorted(m["To"] for m in inbox.messages) == ["an@x.vn", "binh@x.vn", "chi@x.vn"]
    assert "Nguyễn Văn An" in inbox.messages[0].get_payload(decode=True).decode()
    _answer(app, inbox.links("an@x.vn")[0])
    with app.app_context():
        from survey_app.invitations.operations import revoke_invitation
        from survey_app.invitations.sending import send_reminders

        revoke_invitation(
            db.session.scalar(select(Invitation).where(Invitation.email == "chi@x.vn"))
        )
        inbox.messages.clear()
        assert send_reminders(db.session.get(Round, round_id)).sent == 1
    assert [m["To"] for m in inbox.messages] == ["binh@x.vn"]
    new = inbox.links("binh@x.vn")[-1]
    assert app.test_client().get(f"/r/{new}").status_code == 200
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "round 1: 2 mails sent" not in ours and "3 mails sent, 0 failed" in ours
    for secret in ("an@x.vn", "binh@x.vn", "Nguyễn Văn An", "Trần Thị Bình", new):
        assert secret not in ours  # (mail.log is the test's SMTP server, not ParIndex)


def _answer(app, token: str) -> None:
    client = app.test_client()
    assert client.get(f"/r/{token}").status_code == 200
    assert (
        client.post("/respond", data={"s": "0", "action": "submit", **answers()}).status_code == 303
    )


def test_a_reminder_link_replaces_the_invitation_link(sqlite_round, smtp):
    app, round_id = sqlite_round
    inbox, port = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        from survey_app.invitations.sending import send_invitations, send_reminders

        invite(round_id, RESPONDENTS_HEADER + "an@x.vn,An,leader,C01,C01-leader,C01-D1,M\n")
        send_invitations(db.session.get(Round, round_id))
        send_reminders(db.session.get(Round, round_id))
    first, second = inbox.links("an@x.vn")
    assert app.test_client().get(f"/r/{first}").status_code == 404
    _answer(app, second)
    with app.app_context():
        inv = db.session.scalar(select(Invitation))
        assert inv.sent_at is not None and inv.reminded_at is not None and inv.is_used


def test_without_a_server_mail_lands_in_the_instance_mailbox(sqlite_round, tmp_path):
    app, round_id = sqlite_round
    with app.app_context():
        from survey_app.invitations.sending import send_invitations

        invite(round_id, LIST)
        assert send_invitations(db.session.get(Round, round_id)).sent == 3
        assert send_invitations(db.session.get(Round, round_id)).sent == 0  # nobody twice
    files = sorted((tmp_path / "mailbox").glob("*.eml"))
    assert len(files) == 3
    body = email.message_from_bytes(files[0].read_bytes()).get_payload(decode=True).decode()
    token = re.search(r"/r/([A-Za-z0-9_-]+)", body).group(1)
    assert app.test_client().get(f"/r/{token}").status_code == 200


def test_a_draft_round_sends_nothing(sqlite_app, tmp_path):
    from tests.rounds.conftest import load_examples, make_round

    with sqlite_app.app_context():
        load_examples()
        round_id = make_round(open_it=False)
        db.session.commit()
        invite(round_id, LIST)
        from survey_app.invitations.sending import send_invitations

        assert send_invitations(db.session.get(Round, round_id)).sent == 0
    assert not (tmp_path / "mailbox").exists()
