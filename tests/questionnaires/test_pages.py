"""The questionnaire pages for admins: list, detail, preview as a respondent, upload."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.questionnaires.models import Questionnaire
from tests.conftest import EXAMPLES
from tests.questionnaires.conftest import ROLES, file_data, sign_in, snapshot

#: Two pages, a required item, a condition, a group asked only on the second page.
TWO_PAGES = """\
code: MIC-XHH-2019
title: {vi: "Phiếu khảo sát thử năm 2019", en: "Trial survey 2019"}
scales:
  yn:
    - {value: 1, label: {vi: "Có", en: "Yes"}, score: 1.0}
    - {value: 0, label: {vi: "Không", en: "No"}, score: 0.0}
    - {value: 8, label: {vi: "Không có ý kiến", en: "No opinion"}, missing: true}
sections:
  - title: {vi: "Phần chung", en: "General"}
    items:
      - code: A1
        text: {vi: "Đơn vị có kế hoạch cải cách", en: "The unit has a reform plan"}
        scale: yn
        groups: [leader, official]
        required: true
  - title: {vi: "Phần chi tiết", en: "Details"}
    items:
      - code: A2
        text: {vi: "Kế hoạch được công khai", en: "The plan is published"}
        scale: yn
        groups: [leader]
        relevant: "${A1} = 1"
      - code: A3
        text: {vi: "Công chức được lấy ý kiến", en: "Officials were consulted"}
        scale: yn
        groups: [official]
"""

BAD = """\
code: MIC-XHH-BAD
title: {vi: "Phiếu lỗi"}
scales:
  q4:
    - {value: 4, label: {vi: "Tốt", en: "Good"}, score: 1.5}
sections:
  - title: {vi: "Phần 1", en: "Part 1"}
    items:
      - {code: B1, text: {vi: "Câu 1", en: "Q 1"}, scale: nowhere, groups: [leader]}
"""


MULTIPART = "multipart/form-data"
RESPONDENT = "email,name,group,unit,stratum,psu\na@x.vn,A,leader,C01,C01-leader,D1\n"


def _id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Questionnaire.id).where(Questionnaire.code == code))


def _upload(client, text: str, name: str = "q.yaml"):
    data = file_data(text, name)
    return client.post("/admin/questionnaires/upload", data=data, content_type=MULTIPART)


def test_the_list_without_questionnaires_explains_and_links_to_the_upload(empty_site):
    page = sign_in(empty_site, "admin").get("/admin/questionnaires/")
    assert page.status_code == 200
    assert "Chưa có phiếu khảo sát nào được tải lên" in page.text
    assert page.text.count('href="/admin/questionnaires/upload"') == 2
    assert 'aria-current="page">Phiếu khảo sát<' in page.text


def test_the_list_shows_each_version_with_its_items_languages_and_rounds(site):
    from tests.rounds.conftest import make_round

    with site.app_context():
        make_round(open_it=False)
        db.session.commit()
    admin = sign_in(site, "admin")
    assert _upload(admin, TWO_PAGES).status_code == 303
    page = admin.get("/admin/questionnaires/")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
    new, example = rows[1], rows[2]  # after the header row, newest first
    assert "MIC-XHH-2019" in new and "MIC-XHH-2018" in example
    assert re.search(r'class="num">3</td>\s*<td class="num">2</td>', new)  # 3 items, 2 sections
    assert re.search(r'class="num">12</td>\s*<td class="num">1</td>', example)
    assert "Tiếng Việt, Tiếng Anh" in example
    assert "Khảo sát thử" in example and "chưa có" in new
    assert "<caption>" in page.text


def test_the_detail_shows_sections_items_and_scales_in_vietnamese_and_english(site):
    admin = sign_in(site, "admin")
    assert _upload(admin, TWO_PAGES).status_code == 303
    url = f"/admin/questionnaires/{_id(site, 'MIC-XHH-2019')}"
    page = admin.get(url)
    assert page.status_code == 200
    for text in (
        "Phiếu khảo sát thử năm 2019",
        "Phần 1: Phần chung",
        "Phần 2: Phần chi tiết",
        "Kế hoạch được công khai",
        "Không có ý kiến",
        "Thang đo yn",
        "mã “không biết”: 8",
        "bắt buộc",
        "${A1} = 1",
        "Lãnh đạo",
    ):
        assert text in page.text, text
    assert page.text.count("<h1") == 1
    english = admin.get(url + "?lang=en")
    assert "Trial survey 2019" in english.text and "The plan is published" in english.text
    assert "No opinion" in english.text and "Kế hoạch được công khai" not in english.text


def test_a_good_upload_is_stored_and_leads_to_its_detail_page(site):
    admin = sign_in(site, "admin")
    uploaded = _upload(admin, TWO_PAGES)
    assert uploaded.status_code == 303
    new_id = _id(site, "MIC-XHH-2019")
    assert uploaded.headers["Location"].endswith(f"/admin/questionnaires/{new_id}")
    page = admin.get(uploaded.headers["Location"])
    assert "Đã tải lên phiếu khảo sát MIC-XHH-2019: 3 câu hỏi." in page.text


def test_a_bad_upload_lists_every_problem_and_changes_nothing(site):
    admin = sign_in(site, "admin")  # signing in is audited: count after it
    before = snapshot(site)
    refused = _upload(admin, BAD)
    assert refused.status_code == 400
    assert "Tệp có lỗi; dữ liệu không thay đổi." in refused.text
    problems = re.findall(r"<li>(.*?)</li>", refused.text.split("error-summary", 1)[1])
    assert len(problems) >= 3  # the English title, the score and the unknown scale
    assert any("en" in p for p in problems)
    assert any("nowhere" in p for p in problems)
    assert any("1.5" in p for p in problems)
    assert snapshot(site) == before


def test_a_reused_code_is_refused_and_changes_nothing(site):
    admin = sign_in(site, "admin")
    before = snapshot(site)
    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    refused = _upload(admin, text)
    assert refused.status_code == 400 and "MIC-XHH-2018" in refused.text
    assert snapshot(site) == before


def test_the_preview_shows_every_item_as_respondents_see_it_and_stores_nothing(site):
    admin = sign_in(site, "admin")
    _upload(admin, TWO_PAGES)
    before = snapshot(site)
    seen = set()
    for code in ("MIC-XHH-2018", "MIC-XHH-2019"):
        base = f"/admin/questionnaires/{_id(site, code)}/preview"
        for group in ("leader", "official"):
            for page_no in (1, 2):
                page = admin.get(f"{base}/{group}/{page_no}")
                assert page.status_code == 200
                assert "Xem trước — không lưu câu trả lời" in page.text
                form = page.text.split('class="questionnaire"', 1)[1]
                buttons = re.findall(r'<button type="submit"[^>]*>', form)
                assert all(" disabled" in b for b in buttons)  # only the Enter guard
                seen |= set(re.findall(r'type="radio" name="(\w+)"', page.text))
    assert seen == {f"Q{i:02d}" for i in range(1, 13)} | {"A1", "A2", "A3"}
    assert snapshot(site) == before


def test_the_preview_pages_move_with_links_and_show_each_groups_items(site):
    admin = sign_in(site, "admin")
    _upload(admin, TWO_PAGES)
    base = f"/admin/questionnaires/{_id(site, 'MIC-XHH-2019')}/preview"
    first = admin.get(base)
    assert "Trang 1 / 2" in first.text and "Phần chung" in first.text
    assert f'href="{base}/leader/2"' in first.text
    assert "(bắt buộc)" in first.text
    last = admin.get(f"{base}/official/2")
    assert "A3" in last.text and 'name="A2"' not in last.text
    assert "disabled" in last.text and "Gửi câu trả lời" in last.text
    assert admin.get(f"{base}/citizen/1").status_code == 404
    english = admin.get(f"{base}/leader/2?lang=en")
    assert "The plan is published" in english.text
    assert "Preview — answers are not saved" in english.text


def test_the_respondent_page_keeps_its_buttons(site):
    from tests.rounds.conftest import invite, make_round

    with site.app_context():
        round_id = make_round()
        db.session.commit()
        token = invite(round_id, RESPONDENT)[0]
    respondent = site.test_client()
    respondent.get(f"/r/{token}")
    page = respondent.get("/respond")
    assert 'action="/respond"' in page.text and 'value="submit"' in page.text
    assert "Xem trước" not in page.text


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_other_roles_are_refused_and_nothing_changes(site, role):
    client = sign_in(site, role)
    before = snapshot(site)
    q_id = _id(site, "MIC-XHH-2018")
    for url in (
        "/admin/questionnaires/",
        f"/admin/questionnaires/{q_id}",
        f"/admin/questionnaires/{q_id}/preview",
        "/admin/questionnaires/upload",
    ):
        assert client.get(url).status_code == 403, url
    assert _upload(client, TWO_PAGES).status_code == 403
    assert snapshot(site) == before


def test_signed_out_visitors_are_sent_to_sign_in(site):
    client = site.test_client()
    assert client.get("/admin/questionnaires/").status_code == 302
    assert _upload(client, TWO_PAGES).status_code == 302
    assert _id(site, "MIC-XHH-2019") is None
