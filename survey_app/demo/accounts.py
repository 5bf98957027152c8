"""The demo's accounts, one for every role; a password is shown once, when it is made."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.accounts.operations import create_user
from survey_app.accounts.passwords import generate_password
from survey_app.extensions import db

#: The units whose focal points have a demo account: one Cục answering the council's
#: adjustments (giải trình), one Vụ still entering its scores (see ``workflow.py``).
FOCAL_UNITS = ("C06", "V03")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    unit: str | None = None


def demo_accounts(admin_email: str) -> list[DemoAccount]:
    return [
        DemoAccount("admin", admin_email.strip().lower()),
        DemoAccount("appraiser", "appraiser@parindex.local"),
        *(DemoAccount("focal", f"focal.{u.lower()}@parindex.local", u) for u in FOCAL_UNITS),
        DemoAccount("viewer", "viewer@parindex.local"),
    ]


def ensure_accounts(accounts: list[DemoAccount]) -> tuple[dict[str, User], list[str], int]:
    """Create the accounts that are missing; returns the users (by role, or ``focal:UNIT``),
    the lines to print and how many were created. An existing account is left as it is
    (role, unit and password included)."""
    users: dict[str, User] = {}
    rows: list[tuple[User, str | None]] = []
    for account in accounts:
        user = db.session.scalar(select(User).where(func.lower(User.email) == account.email))
        password = None
        if user is None:
            password = generate_password()
            user = create_user(account.email, account.role, password, unit_code=account.unit)
        users[f"focal:{account.unit}" if account.unit else account.role] = user
        rows.append((user, password))
    return users, _lines(rows), sum(1 for _, password in rows if password)


def _lines(rows: list[tuple[User, str | None]]) -> list[str]:
    if any(password for _, password in rows):
        head = "Accounts (role, e-mail, password; each new password is shown this once):"
    else:
        head = "Accounts (they already exist; passwords were shown when they were created):"
    width = max(len(user.email) for user, _ in rows)
    lines = [head]
    for user, password in rows:
        shown = password or "(already exists)"
        unit = f"   unit {user.unit.code} {user.unit.name_vi}" if user.unit else ""
        lines.append(f"  {user.role:<10} {user.email:<{width}}  {shown}{unit}")
    return lines
