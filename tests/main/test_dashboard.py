"""The overview after sign-in and the header menu, for every role."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.assessments.conftest import EMAILS, PASSWORD


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav id="site-menu".*?</nav>', html, re.S).group(0)
    found = re.findall(r"<a href=\"[^\"]*\"(?: aria-current=\"page\")?>([^<]+)</a>", nav)
    return [unescape(label) for label in found]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "admin",
            [
                "Tổng quan",
                "Các đợt khảo sát",
                "Phiếu khảo sát",
                "Bộ tiêu chí",
                "Đơn vị",
                "Người dùng",
                "Tự đánh giá và thẩm định",
                "Kết quả",
            ],
        ),
        ("appraiser", ["Tổng quan", "Tự đánh giá và thẩm định", "Kết quả"]),
        ("focal", ["Tổng quan", "Tự đánh giá và thẩm định", "Kết quả"]),
        ("viewer", ["Tổng quan", "Tự đánh giá và thẩm định", "Kết quả"]),
    ],
)
def test_each_role_sees_its_own_menu_and_every_entry_opens(world, role, expected):
    client = world.client("other" if role == "focal" else role)
    page = client.get("/")
    assert page.status_code == 200
    shown = _menu(page.text)
    # Entries whose pages are not built yet are left out, never linked dead.
    assert [e for e in expected if e in shown] == shown
    assert "Tổng quan" in shown and "Kết quả" in shown
    assert 'aria-current="page">Tổng quan' in page.text
    for href in re.findall(r'<nav id="site-menu".*?</nav>', page.text, re.S)[0].split('href="')[1:]:
        assert client.get(href.split('"')[0]).status_code == 200


def test_the_public_sees_no_staff_menu(world):
    page = world.app.test_client().get("/")
    assert page.status_code == 200
    assert "Tổng quan" not in page.text and "Người dùng" not in page.text


def test_current_page_is_marked_on_a_section_page(world):
    page = world.client("admin").get("/admin/rounds/")
    assert 'aria-current="page">Các đợt khảo sát' in page.text
    assert 'aria-current="page">Tổng quan' not in page.text


def _score(world, unit: str, step: str):
    """Bring every self score of ``unit`` to ``step`` with the workflow's operations."""
    from survey_app.accounts.models import User
    from survey_app.assessments.appraisals import appraise, explain
    from survey_app.assessments.operations import save_self_score, submit_self_assessment
    from survey_app.criteria.models import SubCriterion
    from survey_app.extensions import db
    from survey_app.rounds.models import Round
    from survey_app.units.models import Unit

    with world.app.app_context():
        rnd = db.session.get(Round, world.round_id)
        unit_row = db.session.get(Unit, world.units[unit])
        subs = [db.session.get(SubCriterion, sid) for sid, _ in world.subs.values()]
        scores = [save_self_score(rnd, unit_row, s, s.max_points, "note") for s in subs]
        if step != "draft":
            submit_self_assessment(rnd, unit_row, subs)
        appraiser = db.session.query(User).filter_by(email=EMAILS["appraiser"]).one()
        if step in ("adjusted", "explained"):
            for sa in scores:
                appraise(sa, 0, "thiếu tài liệu", appraiser)
        if step == "explained":
            focal = db.session.query(User).filter_by(role="focal", unit_id=unit_row.id).one()
            for sa in scores:
                explain(sa, "đã bổ sung", focal)
        db.session.commit()
        return len(scores)


def test_admin_overview_counts_work_waiting_at_each_step(world):
    n = _score(world, "C01", "submitted")
    _score(world, "C02", "adjusted")
    page = world.client("admin").get("/")
    text = page.text
    assert "Việc cần làm" in text
    assert f"{n} điểm đang chờ thẩm định vòng 1." in text
    assert f"chờ đơn vị giải trình: {n}" in text
    assert "Chưa mời ai: hãy tải lên danh sách người trả lời." in text
    assert "Test round" in text
    assert "còn 29 ngày" in text or "còn 30 ngày" in text


def test_focal_point_overview_shows_only_its_unit_and_asks_for_explanation(world):
    n = _score(world, "C02", "adjusted")
    _score(world, "C01", "submitted")
    text = world.client("other").get("/").text  # the C02 focal point
    assert f"{n} điểm của đơn vị đã bị điều chỉnh: hãy gửi giải trình." in text
    assert "chờ thẩm định vòng 1" not in text  # C01's scores are not theirs
    assert "Quản lý đợt khảo sát" not in text


def test_appraiser_overview_shows_explained_scores_waiting_for_round_two(world):
    n = _score(world, "C02", "explained")
    text = world.client("appraiser").get("/").text
    assert f"{n} điểm đã giải trình đang chờ thẩm định vòng 2." in text


def test_overview_in_english(world):
    client = world.client("admin")
    text = client.get("/?lang=en").text
    assert "Needs your attention" in text and "Overview" in text


def test_sign_in_with_wrong_password_does_not_reach_overview(world):
    client = world.app.test_client()
    client.post("/login", data={"email": EMAILS["admin"], "password": PASSWORD + "x"})
    assert "Việc cần làm" not in client.get("/").text
