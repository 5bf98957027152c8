"""Sending e-mail: SMTP when ``PARINDEX_MAIL_SERVER`` is set, else .eml files in the
instance mailbox (the local debugging mailbox of the demo).

Every failure is raised as a ``MailFailure`` with one of a few reasons an admin can act
on; after a failure that concerns the connection (or the mailbox folder), the outbox
fails every further message of the batch with the same reason instead of trying again,
so a server that hangs costs one timeout, not one per message.
"""

from __future__ import annotations

import errno
import os
import secrets
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from survey_app.i18n import N_

REFUSED = N_("the mail server refused the connection")
CLOSED = N_("the mail server closed the connection")
TIMEOUT = N_("the mail server did not answer in time")
UNREACHABLE = N_("the mail server could not be reached")
SIGN_IN = N_("the mail server refused the sign-in")
RECIPIENT = N_("the mail server refused the address")
MESSAGE = N_("the mail server refused the message")
DISK_FULL = N_("the mailbox disk is full")
NOT_WRITABLE = N_("the mailbox folder cannot be written")
#: Every reason a mail can fail for, as stored in ``Invitation.mail_error``.
REASONS = (REFUSED, CLOSED, TIMEOUT, UNREACHABLE, SIGN_IN, RECIPIENT, MESSAGE, DISK_FULL,
           NOT_WRITABLE)  # fmt: skip


class MailFailure(Exception):
    """A message was not accepted; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, *, connection: bool) -> None:
        super().__init__(reason)
        self.reason, self.connection = reason, connection


def classify(exc: BaseException) -> MailFailure:
    """The reason an admin reads for an exception from smtplib or the file system."""
    if isinstance(exc, MailFailure):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return MailFailure(RECIPIENT, connection=False)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailFailure(SIGN_IN, connection=True)
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return MailFailure(CLOSED, connection=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | BrokenPipeError):
        return MailFailure(CLOSED, connection=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailFailure(MESSAGE, connection=False)
    if isinstance(exc, ConnectionRefusedError | smtplib.SMTPConnectError):
        return MailFailure(REFUSED, connection=True)
    if isinstance(exc, TimeoutError):
        return MailFailure(TIMEOUT, connection=True)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MailFailure(DISK_FULL, connection=True)
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return MailFailure(NOT_WRITABLE, connection=True)
    return MailFailure(UNREACHABLE, connection=True)


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
    """One SMTP connection (or one mailbox folder) for a batch of messages, opened by the
    first message. ``send`` returns once the message is accepted, or raises MailFailure."""

    def __enter__(self) -> Outbox:
        self.smtp: smtplib.SMTP | None = None
        self.broken: MailFailure | None = None
        return self

    def send(self, msg: EmailMessage) -> None:
        if self.broken is not None:
            raise self.broken
        try:
            if current_app.config.get("MAIL_SERVER"):
                self._smtp().send_message(msg)
            else:
                _write_eml(Path(current_app.config["MAIL_MAILBOX"]), bytes(msg))
        except Exception as exc:  # noqa: BLE001 — every failure becomes a reason
            failure = classify(exc)
            if failure.connection:
                self.broken = failure
                self._close()
            raise failure from exc

    def _smtp(self) -> smtplib.SMTP:
        if self.smtp is None:
            cfg = current_app.config
            self.smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
            if cfg.get("MAIL_USE_TLS"):
                self.smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                self.smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        return self.smtp

    def _close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()

    def __exit__(self, *exc) -> None:
        if self.smtp is not None and self.broken is None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._close()


def _write_eml(mailbox: Path, data: bytes) -> None:
    """A whole file or none: written under a temporary name, then renamed."""
    mailbox.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(8)
    temp = mailbox / f".{name}.tmp"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, mailbox / f"{name}.eml")
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
