"""Signing in and out: argon2id, fresh sessions, throttling, logout that ends the session."""

from __future__ import annotations

import pytest
from flask import Blueprint

from survey_app.accounts.auth import require_role
from survey_app.accounts.lockout import ADDRESS_FAILURES
from survey_app.accounts.operations import create_user
from survey_app.extensions import db

PASSWORD = "correct horse battery"


@pytest.fixture
def app_with_admin(sqlite_app):
    bp = Blueprint("probe", __name__)

    @bp.get("/probe")
    @require_role("admin")
    def probe():
        return "secret"

    sqlite_app.register_blueprint(bp)
    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", PASSWORD)
        create_user("viewer@x.vn", "viewer", PASSWORD)
        db.session.commit()
    return sqlite_app


def _login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_admin_page_needs_sign_in_and_the_right_role(app_with_admin):
    client = app_with_admin.test_client()
    assert client.get("/probe").status_code == 302
    _login(client, "viewer@x.vn")
    assert client.get("/probe").status_code == 403
    client = app_with_admin.test_client()
    assert _login(client, "admin@x.vn").status_code == 302
    assert client.get("/probe").text == "secret"


def test_logout_voids_a_copied_session_cookie(app_with_admin):
    client = app_with_admin.test_client()
    _login(client, "admin@x.vn")
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app_with_admin.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/probe").status_code == 302


def test_sign_in_starts_a_fresh_session(app_with_admin):
    client = app_with_admin.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by attacker"
    _login(client, "admin@x.vn")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_repeated_failures_pause_the_account_even_for_the_right_password(app_with_admin):
    client = app_with_admin.test_client()
    for _ in range(ADDRESS_FAILURES):
        wrong = _login(client, "admin@x.vn", "wrong")
        assert wrong.status_code == 401
    locked = _login(client, "admin@x.vn")
    assert locked.status_code == 401
    # the same answer as a wrong password
    assert "Địa chỉ e-mail hoặc mật khẩu không đúng." in locked.text


def test_open_redirect_after_sign_in_is_refused(app_with_admin):
    client = app_with_admin.test_client()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": "admin@x.vn", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
