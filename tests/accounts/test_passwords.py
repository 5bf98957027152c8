"""Changing one's own password, and one-time reset links."""

from __future__ import annotations

import logging
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from survey_app.accounts.passwords import verify_password
from survey_app.accounts.resets import SALT, make_reset_token
from survey_app.core.redaction import redact
from survey_app.extensions import db
from tests.accounts.conftest import PASSWORD, login, user

NEW = "a brand new passphrase"


def _change(client, current=PASSWORD, new=NEW, again=None):
    data = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return client.post("/account/password", data=data)


def test_the_header_links_to_the_password_page(app):
    viewer = login(app, "viewer@x.vn")
    home = viewer.get("/")
    assert 'href="/account/password"' in home.text
    page = viewer.get("/account/password")
    assert page.status_code == 200 and "Mật khẩu hiện tại" in page.text


def test_own_password_change_keeps_this_session_and_ends_the_others(app):
    here, elsewhere = login(app, "viewer@x.vn"), login(app, "viewer@x.vn")
    changed = _change(here)
    assert changed.status_code == 302
    home = here.get("/")
    assert "Đã đổi mật khẩu" in home.text and "viewer@x.vn" in home.text
    assert here.get("/account/password").status_code == 200  # still signed in
    assert elsewhere.get("/account/password").status_code == 302  # sent to sign-in
    stored = user(app, "viewer@x.vn")
    assert verify_password(stored.password_hash, NEW)
    login(app, "viewer@x.vn", NEW)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong password!", NEW, NEW, "Mật khẩu hiện tại không đúng"),
        (PASSWORD, "too short", "too short", "tối thiểu 12 ký tự"),
        (PASSWORD, NEW, NEW + "x", "không khớp"),
    ],
)
def test_own_password_change_is_refused_without_the_right_current_one(
    app, current, new, again, message
):
    viewer = login(app, "viewer@x.vn")
    before = user(app, "viewer@x.vn")
    refused = _change(viewer, current, new, again)
    assert refused.status_code == 400 and message in refused.text
    after = user(app, "viewer@x.vn")
    assert after.password_hash == before.password_hash
    assert after.session_version == before.session_version


def test_the_password_page_needs_sign_in(app):
    assert app.test_client().get("/account/password").status_code == 302


def _token(app, email="viewer@x.vn") -> str:
    with app.app_context():
        from survey_app.accounts.operations import get_user_by_email

        return make_reset_token(get_user_by_email(email))


def _reset(app, token, new=NEW):
    data = {"new_password": new, "new_password_again": new}
    return app.test_client().post(f"/account/reset/{token}", data=data)


def test_a_reset_link_works_once_and_then_is_refused(app):
    token = _token(app)
    page = app.test_client().get(f"/account/reset/{token}")
    assert page.status_code == 200 and "viewer@x.vn" in page.text
    done = _reset(app, token)
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    login(app, "viewer@x.vn", NEW)
    stored = user(app, "viewer@x.vn")
    again = _reset(app, token, "yet another passphrase")
    assert again.status_code == 400 and "Đường dẫn này không dùng được" in again.text
    assert user(app, "viewer@x.vn").password_hash == stored.password_hash
    assert app.test_client().get(f"/account/reset/{token}").status_code == 400


def test_a_password_changed_since_voids_the_link(app):
    token = _token(app)
    _change(login(app, "viewer@x.vn"))
    refused = _reset(app, token, "yet another passphrase")
    assert refused.status_code == 400
    assert verify_password(user(app, "viewer@x.vn").password_hash, NEW)


def test_a_reset_ends_the_sessions_of_the_account(app):
    viewer = login(app, "viewer@x.vn")
    _reset(app, _token(app))
    assert viewer.get("/account/password").status_code == 302


def _forged(app) -> list[str]:
    valid = _token(app)
    with app.app_context():
        viewer = user(app, "viewer@x.vn")
        other_key = URLSafeTimedSerializer("k" * 40, salt=SALT).dumps({"u": viewer.id, "f": "x"})
    return [valid[:-2] + ("AA" if not valid.endswith("AA") else "BB"), other_key, "nonsense-token"]


def test_forged_tokens_are_refused_and_change_nothing(app):
    before = user(app, "viewer@x.vn")
    for token in _forged(app):
        page = app.test_client().get(f"/account/reset/{token}?lang=en")
        assert page.status_code == 400 and "This link does not work" in page.text
        assert _reset(app, token).status_code == 400
    after = user(app, "viewer@x.vn")
    assert (after.password_hash, after.session_version) == (
        before.password_hash,
        before.session_version,
    )


def test_an_expired_link_is_refused(app, monkeypatch):
    long_ago = int(time.time()) - 25 * 3600
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: long_ago)
        token = _token(app)
    before = user(app, "viewer@x.vn").password_hash
    refused = _reset(app, token)
    assert refused.status_code == 400 and "đã hết hạn" in refused.text
    assert user(app, "viewer@x.vn").password_hash == before


def test_a_deactivated_account_cannot_use_its_link(app):
    token = _token(app)
    with app.app_context():
        from survey_app.accounts.operations import deactivate_user, get_user_by_email

        deactivate_user(get_user_by_email("viewer@x.vn"))
        db.session.commit()
    assert _reset(app, token).status_code == 400


def test_reset_tokens_are_redacted_from_access_logs(app, caplog):
    token = _token(app)
    line = f'127.0.0.1 - - "GET /account/reset/{token} HTTP/1.1" 200 -'
    assert token not in redact(line) and "/account/reset/[redacted]" in redact(line)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s', f"POST /account/reset/{token} HTTP/1.1", 303)
    assert token not in caplog.text and "[redacted]" in caplog.text


def test_the_sign_in_page_says_whom_to_ask_for_a_forgotten_password(app):
    page = app.test_client().get("/login")
    assert "Quên mật khẩu? Vui lòng đề nghị quản trị viên" in page.text
