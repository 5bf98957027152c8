"""Who is signed in, and who may do what.

Sessions are Flask's signed cookies. A session names the user and the account's
``session_version``; logout and password changes bump the version, so a copied cookie
stops working at once ("logout really ends the session").
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from survey_app.accounts import lockout
from survey_app.accounts.models import User
from survey_app.accounts.passwords import dummy_hash, verify_password
from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.extensions import db


def load_user() -> None:
    """``before_request``: put the signed-in user (or None) on ``g.user``."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:  # a respondent, or nobody signed in
        return
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != session.get("user_version"):
        session.clear()
        return
    g.user = user


def authenticate(email: str, password: str, address: str) -> User | None:
    """The account if ``password`` is right and sign-in from ``address`` is not paused
    (:mod:`survey_app.accounts.lockout`), else None.

    Every failure looks and takes the same: the password is checked (argon2) whether or
    not the account exists, is active or is locked, so neither the answer nor its time
    says which."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    locked = lockout.is_locked(email, address)
    right = verify_password(user.password_hash if user else dummy_hash(), password)
    if locked or user is None or not user.is_active or not right:
        lockout.failed(email, address)
        return None
    lockout.succeeded(email, address)
    user.last_login_at = utcnow()
    return user


def login_user(user: User) -> None:
    """Sign in: a fresh session, audited."""
    start_session(user)
    log_change("user.login", "user", user.id, user=user)
    db.session.commit()


def start_session(user: User) -> None:
    """A fresh session for ``user`` at its current ``session_version`` (nothing from
    before survives: no fixation); also after a password change, which voids the old one."""
    lang = session.get("lang")
    session.clear()
    session.update(user_id=user.id, user_version=user.session_version)
    if lang:
        session["lang"] = lang


def logout_user() -> None:
    user = g.get("user")
    if user is not None:
        user.session_version += 1
        log_change("user.logout", "user", user.id, user=user)
        db.session.commit()
    session.clear()


def require_role(*roles: str) -> Callable:
    """Views for signed-in users with one of ``roles``: others go to sign-in or get 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for("accounts.login", next=request.full_path))
            if roles and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def restrict(bp, *roles: str) -> None:
    """Every view of the blueprint ``bp`` is for ``roles`` only (checked before it runs)."""

    @bp.before_request
    @require_role(*roles)
    def _only_for_roles():
        return None
