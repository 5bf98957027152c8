"""Forms need their CSRF token; the points rule is the same on every path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from survey_app.assessments.models import SelfAssessment
from survey_app.assessments.rules import AssessmentError, check_points, parse_points
from survey_app.extensions import db
from tests.assessments.conftest import PASSWORD, count


def test_a_post_without_the_csrf_token_is_refused(world):
    world.app.config["WTF_CSRF_ENABLED"] = True
    client = world.app.test_client()
    login_page = client.get("/login")
    token = login_page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/login", data={"email": "focal.c01@x.vn", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    refused = client.post(world.sheet_url(), data=world.full_sheet(action="save"))
    assert refused.status_code == 400
    assert count(world.app, SelfAssessment) == 0
    page = client.get(world.sheet_url())
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post(world.sheet_url(), data=world.full_sheet(csrf_token=token))
    assert accepted.status_code == 302
    with world.app.app_context():
        assert db.session.scalar(select(SelfAssessment.self_points).limit(1)) is not None


@pytest.mark.parametrize(
    ("raw", "expected"), [("2.85", 2.85), ("2,85", 2.85), ("0", 0.0), ("3", 3.0), ("3.00", 3.0)]
)
def test_points_take_a_dot_or_a_comma_and_up_to_two_decimals(raw, expected):
    assert check_points(parse_points(raw), 3.0) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2.855", "Use at most two decimals."),
        ("3.01", "Points must be between 0 and 3."),
        ("-0.5", "Points must be between 0 and 3."),
        ("abc", "'abc' is not a number."),
        ("nan", "'nan' is not a number."),
        ("1e400", "Points must be between 0 and 3."),
        ("1e-400", "Use at most two decimals."),
    ],
)
def test_invalid_points_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(AssessmentError) as exc:
        check_points(raw, 3.0)
    assert str(exc.value) == message


def test_float_points_from_files_are_checked_exactly():
    assert check_points(Decimal("1.10"), 1.1) == 1.1
    with pytest.raises(AssessmentError):
        check_points(1.005, 3.0)
