"""Reading accounts."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.accounts.models import User
from survey_app.extensions import db

#: How each role is named on pages (English msgids; UI.md glossary for Vietnamese).
ROLE_NAMES = {
    "admin": "Administrator",
    "appraiser": "Appraiser",
    "focal": "Focal point",
    "viewer": "Viewer",
}


def list_users() -> list[User]:
    return list(
        db.session.scalars(select(User).options(selectinload(User.unit)).order_by(User.email))
    )


def get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)
