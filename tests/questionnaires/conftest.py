"""Fixtures of the catalogue pages (questionnaires, criteria sets): a user of every role,
a signed-in client per role, and a snapshot of the tables an upload or preview could touch."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

PASSWORD = "correct horse battery"
ROLES = ("admin", "appraiser", "focal", "viewer")


def add_users() -> None:
    """One user per role (the focal point of unit C01, so the units must exist)."""
    from survey_app.accounts.operations import create_user

    for role in ROLES:
        create_user(f"{role}@x.vn", role, PASSWORD, "C01" if role == "focal" else None)


def load_units() -> None:
    from survey_app.formats.units_csv import parse_units
    from survey_app.units.operations import import_units
    from tests.conftest import EXAMPLES

    import_units(parse_units((EXAMPLES / "units.csv").read_text(encoding="utf-8"), "units.csv"))


def sign_in(app, role: str):
    client = app.test_client()
    signed = client.post("/login", data={"email": f"{role}@x.vn", "password": PASSWORD})
    assert signed.status_code in (302, 303), signed.text
    return client


def snapshot(app) -> dict[str, int]:
    """Row counts of every table an upload or a preview could change."""
    from survey_app.extensions import db

    tables = (
        "questionnaires",
        "sections",
        "items",
        "scales",
        "scale_levels",
        "criteria_sets",
        "areas",
        "criteria",
        "subcriteria",
        "subcriterion_items",
        "group_weights",
        "unit_kinds",
        "responses",
        "response_drafts",
        "audit_log",
    )
    with app.app_context():
        meta = db.metadata.tables
        return {t: db.session.scalar(select(func.count()).select_from(meta[t])) for t in tables}


def file_data(text: str, name: str) -> dict:
    return {"file": (io.BytesIO(text.encode("utf-8")), name)}


@pytest.fixture
def empty_site(sqlite_app):
    """Units and users, but no questionnaire or criteria set."""
    from survey_app.extensions import db

    with sqlite_app.app_context():
        load_units()
        add_users()
        db.session.commit()
    return sqlite_app


@pytest.fixture
def site(sqlite_app):
    """The example questionnaire, criteria sets and units; a user of every role."""
    from survey_app.extensions import db
    from tests.rounds.conftest import load_examples

    with sqlite_app.app_context():
        load_examples()
        add_users()
        db.session.commit()
    return sqlite_app
