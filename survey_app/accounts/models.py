"""User accounts: admins, appraisers, unit focal points and viewers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

ROLES = ("admin", "appraiser", "focal", "viewer")


class User(db.Model):
    """A person who signs in. Respondents never have accounts."""

    __tablename__ = "users"
    __table_args__ = (
        check_in("role", ROLES, "role_valid"),
        CheckConstraint("(role = 'focal') = (unit_id IS NOT NULL)", name="focal_has_unit"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sign-in name, stored lower-case
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: argon2id hash of the password
    password_hash: Mapped[str] = mapped_column(String(255))
    #: admin, appraiser, focal or viewer
    role: Mapped[str] = mapped_column(String(16))
    #: the unit of a focal point (required for ``focal``, empty otherwise)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: may sign in
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped at logout and password change; sessions carrying an older value are void
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    #: when the account was created
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last successful sign-in
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
