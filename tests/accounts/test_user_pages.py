"""The users pages: admins create, deactivate and reactivate accounts and issue reset links."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from sqlalchemy import func, select

from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from tests.accounts.conftest import PASSWORD, login, user


def _create(admin, **fields):
    data = {"email": "new@x.vn", "role": "viewer", "unit": "", "password_choice": "generate"}
    return admin.post("/admin/users/new", data=data | fields)


def _generated_password(page: str) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', page).group(1)


def _audit(app) -> list[tuple[str, str | None, dict | None]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.new))
        return [tuple(r) for r in rows]


def test_the_list_names_roles_units_and_sign_ins_in_vietnamese(app, admin):
    _create(admin, email="f@x.vn", role="focal", unit="C01")
    page = admin.get("/admin/users/")
    assert page.status_code == 200
    for text in ("admin@x.vn", "Quản trị viên", "Người xem", "Cán bộ đầu mối", "Cục Tin học"):
        assert text in page.text
    assert "Chưa đăng nhập" in page.text  # f@x.vn never signed in
    assert "(UTC+7)" in page.text or "UTC+7" in page.text  # the admin's last sign-in


@pytest.mark.parametrize("role", ["admin", "appraiser", "viewer"])
def test_admin_creates_an_account_whose_generated_password_signs_in(app, admin, role):
    created = _create(admin, email=f"{role}2@x.vn", role=role)
    assert created.status_code == 200
    assert "Mật khẩu này sẽ không được hiển thị lại" in created.text
    assert created.headers["Cache-Control"] == "no-store"
    stored = user(app, f"{role}2@x.vn")
    assert stored.role == role and stored.unit_id is None and stored.is_active
    login(app, f"{role}2@x.vn", _generated_password(created.text))
    assert ("user.create", "admin@x.vn") in [(a, who) for a, who, _ in _audit(app)]


def test_a_focal_point_needs_a_unit_and_gets_it(app, admin):
    refused = _create(admin, email="f@x.vn", role="focal")
    assert refused.status_code == 400
    assert "Cán bộ đầu mối phải thuộc một đơn vị" in refused.text
    assert 'value="f@x.vn"' in refused.text  # what was typed is kept
    assert user(app, "f@x.vn") is None
    created = _create(admin, email="f@x.vn", role="focal", unit="C01")
    assert created.status_code == 200
    with app.app_context():
        from survey_app.accounts.operations import get_user_by_email

        assert get_user_by_email("f@x.vn").unit.code == "C01"


def test_a_unit_for_another_role_is_refused(app, admin):
    refused = _create(admin, role="viewer", unit="C01")
    assert refused.status_code == 400
    assert "Chỉ cán bộ đầu mối mới thuộc một đơn vị" in refused.text
    assert user(app, "new@x.vn") is None


def test_a_typed_password_must_be_long_enough_and_then_works(app, admin):
    short = _create(admin, password_choice="type", password="short")
    assert short.status_code == 400 and "tối thiểu 12 ký tự" in short.text
    assert user(app, "new@x.vn") is None
    created = _create(admin, password_choice="type", password="a long enough one")
    assert created.status_code == 303
    login(app, "new@x.vn", "a long enough one")


def test_a_second_account_for_the_same_address_is_refused(app, admin):
    refused = _create(admin, email="Viewer@X.vn")
    assert refused.status_code == 400 and "Đã có tài khoản với địa chỉ viewer@x.vn" in refused.text


def _user_id(app, email: str) -> int:
    return user(app, email).id


def test_deactivation_asks_for_confirmation_and_ends_a_live_session(app, admin):
    viewer = login(app, "viewer@x.vn")
    assert viewer.get("/account/password").status_code == 200
    url = f"/admin/users/{_user_id(app, 'viewer@x.vn')}/deactivate"
    confirm = admin.get(url)
    assert confirm.status_code == 200
    assert "sẽ không thể đăng nhập nữa" in confirm.text and 'class="danger"' in confirm.text
    assert admin.post(url).status_code == 200  # without the confirmation: the page again
    assert user(app, "viewer@x.vn").is_active
    done = admin.post(url, data={"confirmed": "1"})
    assert done.status_code == 303
    assert not user(app, "viewer@x.vn").is_active
    assert viewer.get("/account/password").status_code == 302  # signed out
    refused = app.test_client().post("/login", data={"email": "viewer@x.vn", "password": PASSWORD})
    assert refused.status_code == 401
    assert "user.deactivate" in [a for a, _, _ in _audit(app)]


def test_a_reactivated_account_signs_in_again(app, admin):
    user_id = _user_id(app, "viewer@x.vn")
    admin.post(f"/admin/users/{user_id}/deactivate", data={"confirmed": "1"})
    assert admin.post(f"/admin/users/{user_id}/reactivate").status_code == 303
    assert user(app, "viewer@x.vn").is_active
    login(app, "viewer@x.vn")


def test_an_admin_cannot_deactivate_themself(app, admin):
    url = f"/admin/users/{_user_id(app, 'admin@x.vn')}/deactivate"
    refused = admin.post(url, data={"confirmed": "1"}, follow_redirects=True)
    assert "Bạn không thể vô hiệu hóa tài khoản của chính mình" in refused.text
    assert user(app, "admin@x.vn").is_active
    assert admin.get("/admin/users/").status_code == 200  # still signed in


def test_a_reset_link_is_emailed_and_shown_once_to_the_admin(app, admin, tmp_path):
    user_id = _user_id(app, "viewer@x.vn")
    shown = admin.post(f"/admin/users/{user_id}/reset-link", data={"send_email": "y"})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "Đường dẫn này sẽ không được hiển thị lại" in shown.text
    link = re.search(r"http://127\.0\.0\.1:5000/account/reset/[\w.-]+", shown.text).group(0)
    mails = list((tmp_path / "mailbox").glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "viewer@x.vn" and link in message.get_content()
    entries = [(a, new) for a, _, new in _audit(app) if a == "user.reset_link"]
    assert entries == [("user.reset_link", {"emailed": True})]
    assert admin.get(f"/admin/users/{user_id}").text.count("/account/reset/") == 0


def test_a_reset_link_can_be_shown_without_email(app, admin, tmp_path):
    user_id = _user_id(app, "viewer@x.vn")
    shown = admin.post(f"/admin/users/{user_id}/reset-link", data={"send_email": ""})  # unticked
    assert "/account/reset/" in shown.text
    assert not list((tmp_path / "mailbox").glob("*.eml"))


def test_others_get_403_on_every_users_page_and_nothing_changes(app):
    viewer = login(app, "viewer@x.vn")
    admin_id = _user_id(app, "admin@x.vn")
    before = _audit(app)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for method, url, data in [
        ("GET", "/admin/users/", None),
        ("GET", "/admin/users/new", None),
        (
            "POST",
            "/admin/users/new",
            {"email": "x@x.vn", "role": "admin", "password_choice": "generate"},
        ),
        ("GET", f"/admin/users/{admin_id}", None),
        ("POST", f"/admin/users/{admin_id}/deactivate", {"confirmed": "1"}),
        ("POST", f"/admin/users/{admin_id}/reset-link", {"send_email": "y"}),
    ]:
        assert viewer.open(url, method=method, data=data).status_code == 403, url
    assert app.test_client().get("/admin/users/").status_code == 302  # to sign-in
    assert user(app, "x@x.vn") is None and user(app, "admin@x.vn").is_active
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count
    assert _audit(app) == before


def test_when_the_mail_server_fails_the_admin_still_gets_the_link(app, admin):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    user_id = _user_id(app, "viewer@x.vn")
    shown = admin.post(f"/admin/users/{user_id}/reset-link", data={"send_email": "y"})
    assert shown.status_code == 200 and "/account/reset/" in shown.text
    assert "Không gửi được e-mail" in shown.text
    assert ("user.reset_link", {"emailed": False}) in [(a, new) for a, _, new in _audit(app)]
