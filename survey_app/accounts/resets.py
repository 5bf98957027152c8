"""One-time password-reset links, with no table of their own.

The token is an itsdangerous signed, timestamped value holding the account id and a
fingerprint of its password hash and ``session_version``. Setting a password changes
both, so a link works once; a password changed any other way (or a sign-out) voids it
too. The fingerprint is an HMAC under the secret key, so the token, which anyone holding
it can decode, reveals nothing about the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeTimedSerializer

from survey_app.accounts.models import User
from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.invitations.mail import MailFailure, Outbox, build_message

log = logging.getLogger(__name__)

SALT = "parindex.password-reset"
#: A link works for 24 hours.
MAX_AGE = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    state = f"{user.password_hash}\n{user.session_version}".encode()
    return hmac.new(key, state, hashlib.sha256).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def reset_url(user: User) -> str:
    """The full link, on ``PARINDEX_BASE_URL`` (works outside a request: the CLI)."""
    path = current_app.url_map.bind("").build("accounts.reset", {"token": make_reset_token(user)})
    return current_app.config["BASE_URL"] + path


def user_for_token(token: str) -> User | None:
    """The active account a valid, unused, unexpired token is for; else None."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(str(data.get("f")), _fingerprint(user)) else None


def issue_reset_link(user: User, email: bool) -> tuple[str, bool]:
    """A new link for ``user``, e-mailed to them when ``email``; returns it and whether
    the message went out (if the mail server fails, the admin still has the link to pass
    on). Audited, never the link itself."""
    link = reset_url(user)
    sent = email and _send(user, link)
    log_change("user.reset_link", "user", user.id, new={"emailed": sent})
    return link, sent


def _send(user: User, link: str) -> bool:
    body = render_template("accounts/mail/password_reset.txt", user=user, link=link)
    subject = "Đặt lại mật khẩu ParIndex / ParIndex password reset"
    try:
        with Outbox() as outbox:
            outbox.send(build_message(user.email, subject, body))
    except MailFailure as exc:  # every failure of the outbox is classified into one
        log.warning("password reset e-mail not sent: %s", exc)
        return False
    return True
