"""Creating and changing accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.accounts.models import ROLES, User
from survey_app.accounts.passwords import hash_password
from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.units.models import Unit


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


def create_user(email: str, role: str, password: str, unit_code: str | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise AccountError(f"an account for {email} already exists")
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
        raise AccountError(f"unknown unit '{unit_code}'")
    return unit
