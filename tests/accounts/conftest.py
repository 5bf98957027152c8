"""Accounts with known passwords, and clients signed in as them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.operations import create_user
from survey_app.extensions import db
from survey_app.units.models import Unit, UnitKind

PASSWORD = "correct horse battery"


@pytest.fixture
def app(sqlite_app):
    with sqlite_app.app_context():
        kind = UnitKind(code="cuc", name_vi="Cục", name_en="Department")
        db.session.add(Unit(code="C01", kind=kind, name_vi="Cục Tin học", name_en="IT Dept"))
        db.session.flush()
        create_user("admin@x.vn", "admin", PASSWORD)
        create_user("viewer@x.vn", "viewer", PASSWORD)
        db.session.commit()
    return sqlite_app


def login(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.text
    return client


def user(app, email: str) -> User | None:
    """The account as stored now (a fresh read)."""
    with app.app_context():
        found = db.session.scalar(select(User).where(User.email == email))
        if found is not None:
            db.session.expunge(found)
        return found


@pytest.fixture
def admin(app):
    return login(app, "admin@x.vn")
