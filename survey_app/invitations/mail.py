"""Sending e-mail: SMTP when ``PARINDEX_MAIL_SERVER`` is set, else .eml files in the
instance mailbox (the local debugging mailbox of the demo)."""

from __future__ import annotations

import secrets
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())  # a line break in a name adds no header
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="parindex")
    msg.set_content(body)
    return msg


class Outbox:
    """One SMTP connection (or one mailbox folder) for a batch of messages."""

    def __enter__(self) -> Outbox:
        cfg = current_app.config
        self.smtp = None
        if cfg.get("MAIL_SERVER"):
            self.smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
            if cfg.get("MAIL_USE_TLS"):
                self.smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                self.smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        else:
            self.mailbox = Path(cfg["MAIL_MAILBOX"])
            self.mailbox.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, msg: EmailMessage) -> None:
        if self.smtp is not None:
            self.smtp.send_message(msg)
        else:
            path = self.mailbox / f"{secrets.token_hex(8)}.eml"
            path.write_bytes(bytes(msg))
            path.chmod(0o600)

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                self.smtp.close()
