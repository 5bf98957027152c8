"""The round administration pages, signed in as an admin."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from survey_app.accounts.operations import create_user
from survey_app.core.models import Job
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.openlinks.models import OpenLink
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from tests.conftest import EXAMPLES
from tests.rounds.conftest import load_examples

PASSWORD = "correct horse battery"
CONFIRMED = {"confirmed": "1"}


@pytest.fixture
def admin(sqlite_app):
    with sqlite_app.app_context():
        load_examples()
        create_user("admin@x.vn", "admin", PASSWORD)
        create_user("viewer@x.vn", "viewer", PASSWORD)
        db.session.commit()
    client = sqlite_app.test_client()
    client.post("/login", data={"email": "admin@x.vn", "password": PASSWORD})
    return client


def _upload(path, name=None):
    return (io.BytesIO(path.read_bytes()), name or path.name)


def _create(admin) -> int:
    created = admin.post(
        "/admin/rounds/new",
        data={
            "name": "CCHC 2018",
            "criteria_sets": ["MIC-CUC-2018", "MIC-VU-2018"],
            "questionnaire": "MIC-XHH-2018",
            "closes": "2999-01-01T00:00",
            "frame": _upload(EXAMPLES / "frame.csv"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 303, created.text
    return int(created.headers["Location"].rsplit("/", 1)[1])


def _open_and_invite(admin):
    """A new round, opened, with the example list invited and its links downloaded."""
    round_id = _create(admin)
    assert admin.post(f"/admin/rounds/{round_id}/open").status_code == 303
    uploaded = admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": _upload(EXAMPLES / "respondents.csv"), "download": "y"},
        content_type="multipart/form-data",
    )
    return round_id, uploaded


def test_only_admins_reach_the_round_pages(sqlite_app, admin):
    assert sqlite_app.test_client().get("/admin/rounds/").status_code == 302
    viewer = sqlite_app.test_client()
    viewer.post("/login", data={"email": "viewer@x.vn", "password": PASSWORD})
    assert viewer.get("/admin/rounds/").status_code == 403
    assert viewer.post("/admin/rounds/new").status_code == 403
    assert admin.get("/admin/rounds/").status_code == 200


def test_an_admin_creates_opens_invites_tracks_and_closes_a_round(sqlite_app, admin):
    round_id, uploaded = _open_and_invite(admin)
    assert uploaded.status_code == 200 and uploaded.mimetype == "text/csv"
    links = re.findall(r"/r/([A-Za-z0-9_-]+)", uploaded.text)
    assert len(links) == 60
    respondent = sqlite_app.test_client()
    respondent.get(f"/r/{links[0]}")
    respondent.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    page = admin.get(f"/admin/rounds/{round_id}")
    assert "rounds-progress.js" in page.text and "<script>" not in page.text
    assert 'data-progress-url="/admin/rounds/1/progress.json"' in page.text
    # every row's rate with one decimal and the page's decimal sign (UI.md), as the total
    rates = re.findall(r'<span data-field="rate">([^<]*)</span>', page.text)
    assert rates and all(re.fullmatch(r"\d+,\d%", r) for r in rates), rates
    assert any(r != "0,0%" for r in rates)
    progress = admin.get(f"/admin/rounds/{round_id}/progress.json").get_json()
    assert progress["totals"] == {
        "invited": 60,
        "responded": 1,
        "rate": round(1 / 60, 4),
        "other_channels": 0,
    }
    assert admin.post(f"/admin/rounds/{round_id}/close", data={"confirmed": "1"}).status_code == 303
    assert respondent.get(f"/r/{links[1]}").status_code == 410
    with sqlite_app.app_context():
        assert db.session.get(Round, round_id).state == "closed"
        assert len(db.session.get(Round, round_id).frame) == 42


def test_a_bad_upload_lists_every_problem_and_creates_nothing(sqlite_app, admin, tmp_path):
    round_id = _create(admin)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name,group,unit,stratum,psu\nx,A,leader,C01,C01-leader,D\n"
        "y@x.vn,B,nobody,C01,C01-leader,D\n",
        encoding="utf-8",
    )
    refused = admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": _upload(bad)},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "dòng 2: “x” không phải là địa chỉ e-mail" in refused.text
    assert "dòng 3: không có nhóm người trả lời &#39;nobody&#39;" in refused.text
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_links_send_remind_import_and_open_link_buttons(sqlite_app, admin, tmp_path):
    round_id = _create(admin)
    admin.post(f"/admin/rounds/{round_id}/open")
    admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": _upload(EXAMPLES / "respondents.csv")},
        content_type="multipart/form-data",
    )
    reissued = admin.post(f"/admin/rounds/{round_id}/links.csv")
    assert (
        reissued.headers["Content-Disposition"]
        == f'attachment; filename="round-{round_id}-links.csv"'
    )
    assert reissued.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reissued.headers["Cache-Control"] == "no-store"
    assert reissued.text.count("/r/") == 60
    assert admin.post(f"/admin/rounds/{round_id}/send", data={"confirmed": "1"}).status_code == 303
    with sqlite_app.app_context():  # as if the worker had sent them: reminders are due
        for inv in db.session.scalars(select(Invitation)):
            inv.sent_at = inv.created_at
        db.session.commit()
    assert admin.post(f"/admin/rounds/{round_id}/remind", data=CONFIRMED).status_code == 303
    imported = admin.post(
        f"/admin/rounds/{round_id}/responses",
        data={"responses": _upload(EXAMPLES / "responses.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303
    made = admin.post(
        f"/admin/rounds/{round_id}/open-links",
        data={"unit": "C01", "group": "official"},
        follow_redirects=True,
    )
    assert re.search(r"/o/[A-Za-z0-9_-]{32}", made.text)
    with sqlite_app.app_context():
        tasks = sorted(db.session.scalars(select(Job.task)))
        assert tasks == ["parindex.send_invitations", "parindex.send_reminders"]
        assert db.session.scalar(select(func.count()).select_from(Response)) == 520
        assert db.session.scalar(select(OpenLink.group_code)) == "official"


def test_a_questionnaire_upload_reports_problems_by_row(sqlite_app, admin, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "survey"
    book.active.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)"])
    book.active.append(["calculate", "age", "Tuổi", "Age"])  # issue 19: integer is a kind now
    book.create_sheet("choices").append(["list_name", "name", "label"])
    book.save(tmp_path / "form.xlsx")
    refused = admin.post(
        "/admin/questionnaires/upload",
        data={"file": _upload(tmp_path / "form.xlsx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert (
        "trang tính survey, dòng 2: không hỗ trợ loại câu hỏi &#39;calculate&#39;" in refused.text
    )
    ok = admin.post(
        "/admin/questionnaires/upload",
        data={"file": _upload(EXAMPLES / "questionnaire.yaml", "other.yaml")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 400 and "đã tồn tại" in ok.text


def test_an_admin_withdraws_a_link_by_link_or_address_in_either_language(sqlite_app, admin):
    round_id, uploaded = _open_and_invite(admin)
    rows = [line.split(",") for line in uploaded.text.splitlines()[1:]]
    email, link = rows[0][0], rows[1][-1]
    page = admin.get(f"/admin/rounds/{round_id}/invitations")
    assert 'for="who"' in page.text and f"/admin/rounds/{round_id}/revoke" in page.text

    def revoke(who, lang="en"):
        answer = admin.post(
            f"/admin/rounds/{round_id}/revoke?lang={lang}", data={"who": who, **CONFIRMED}
        )
        assert answer.status_code == 303
        return admin.get(f"/admin/rounds/{round_id}/invitations").text

    assert "The link is withdrawn" in revoke(link)
    assert "The link is withdrawn" in revoke(email.upper())
    assert "already withdrawn" in revoke(link)
    assert "Không tìm thấy lời mời nào" in revoke("someone@else.vn", lang="vi")
    respondent = sqlite_app.test_client()
    respondent.get(f"/r/{rows[2][-1].rsplit('/r/', 1)[1]}")
    respondent.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    assert "cannot be withdrawn" in revoke(rows[2][0])
    assert admin.post(f"/admin/rounds/{round_id}/revoke", data={"who": ""}).status_code == 400
    for row in rows[:2]:
        assert sqlite_app.test_client().get(f"/r/{row[-1].rsplit('/r/', 1)[1]}").status_code == 410
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).where(Invitation.is_revoked)) == 2
