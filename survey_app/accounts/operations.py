"""Creating and changing accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.accounts import lockout
from survey_app.accounts.models import ROLES, User
from survey_app.accounts.passwords import hash_password, verify_password
from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.units.models import Unit


class AccountError(ValueError):
    """An account cannot be created or changed as asked. ``message`` is English with
    ``{placeholders}`` for ``params``, so a page can show it translated."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params


def create_user(email: str, role: str, password: str, unit_code: str | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError("'{email}' is not an e-mail address", email=email)
    if role not in ROLES:
        raise AccountError("role must be one of {roles}", roles=", ".join(ROLES))
    if get_user_by_email(email) is not None:
        raise AccountError("an account for {email} already exists", email=email)
    unit = _focal_unit(role, unit_code)
    user = User(email=email, role=role, unit=unit, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    log_change(
        "user.create",
        "user",
        user.id,
        new={"email": email, "role": role, "unit": unit.code if unit else None},
    )
    return user


def _focal_unit(role: str, unit_code: str | None) -> Unit | None:
    if role != "focal":
        if unit_code:
            raise AccountError("only a focal point (--role focal) belongs to a unit")
        return None
    if not unit_code:
        raise AccountError("a focal point needs --unit CODE")
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError("unknown unit '{code}'", code=unit_code)
    return unit


def get_user_by_email(email: str) -> User | None:
    email = email.strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def set_password(user: User, password: str, how: str) -> None:
    """A new password (``how``: self, reset or admin); every open session of the account
    ends, and reset links issued before stop working. The password is never logged."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    lockout.release(user.email, _address() if how != "admin" else None)
    log_change("user.password", "user", user.id, new={"how": how})


def change_own_password(user: User, current: str, new: str) -> bool:
    """Set ``new`` if ``current`` is the account's password; False (nothing changed) if not."""
    if not verify_password(user.password_hash, current):
        return False
    set_password(user, new, "self")
    return True


def deactivate_user(user: User, by: User | None = None) -> None:
    """The account can no longer sign in, and its open sessions end now."""
    if by is not None and by.id == user.id:
        raise AccountError("You cannot deactivate your own account.")
    if not user.is_active:
        return
    user.is_active = False
    user.session_version += 1
    log_change("user.deactivate", "user", user.id, old={"active": True}, new={"active": False})


def reactivate_user(user: User) -> None:
    if user.is_active:
        return
    user.is_active = True
    lockout.release(user.email)
    log_change("user.reactivate", "user", user.id, old={"active": False}, new={"active": True})


def _address() -> str | None:
    """The client's address when the owner acts in a request (a reset link, own form):
    the same address the sign-in counted its failures under."""
    from flask import has_request_context
    from flask_limiter.util import get_remote_address

    return get_remote_address() if has_request_context() else None
