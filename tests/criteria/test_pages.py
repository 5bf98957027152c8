"""The criteria set pages for admins: list, detail tree, upload."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from survey_app.criteria.models import CriteriaSet
from survey_app.extensions import db
from tests.conftest import EXAMPLES
from tests.questionnaires.conftest import ROLES, file_data, sign_in, snapshot

MULTIPART = "multipart/form-data"

#: Six problems at once: weights, a source code, points, survey without items, an
#: unknown item and a duplicate sub-criterion code.
BAD = """\
code: MIC-CUC-BAD
name: {vi: "Bộ lỗi", en: "Broken set"}
year: 2019
unit_kind: cuc
group_weights: {leader: 0.5, official: 0.6}
areas:
  - code: "1"
    name: {vi: "Lĩnh vực 1", en: "Area 1"}
    criteria:
      - code: "1.1"
        name: {vi: "Tiêu chí 1.1", en: "Criterion 1.1"}
        subcriteria:
          - {code: "1.1.1", name: {vi: "A", en: "A"}, source: both, max_points: 2}
          - {code: "1.1.2", name: {vi: "B", en: "B"}, source: self, max_points: -1}
          - {code: "1.1.3", name: {vi: "C", en: "C"}, source: survey, max_points: 1}
          - {code: "1.1.3", name: {vi: "D", en: "D"}, source: survey, max_points: 1, items: [Z99]}
"""


def _id(app, code: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(CriteriaSet.id).where(CriteriaSet.code == code))


def _upload(client, text: str, name: str = "cs.yaml"):
    return client.post(
        "/admin/criteria-sets/upload", data=file_data(text, name), content_type=MULTIPART
    )


def _example(name: str = "criteria_set_cuc.yaml", code: str | None = None) -> str:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    return text.replace("code: MIC-CUC-2018", f"code: {code}", 1) if code else text


@pytest.fixture
def questionnaire_only(empty_site):
    """The example questionnaire, units and users; no criteria set yet."""
    from survey_app.formats.questionnaire_yaml import parse_questionnaire
    from survey_app.questionnaires.operations import import_questionnaire

    with empty_site.app_context():
        text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
        import_questionnaire(parse_questionnaire(text, "q.yaml"), "q.yaml")
        db.session.commit()
    return empty_site


def test_the_list_without_sets_explains_and_links_to_the_upload(questionnaire_only):
    page = sign_in(questionnaire_only, "admin").get("/admin/criteria-sets/")
    assert page.status_code == 200
    assert "Chưa có bộ tiêu chí nào được tải lên" in page.text
    assert page.text.count('href="/admin/criteria-sets/upload"') == 2
    assert 'aria-current="page">Bộ tiêu chí<' in page.text


def test_the_list_shows_points_split_and_rounds(site):
    from tests.rounds.conftest import make_round

    with site.app_context():
        make_round(open_it=False)
        db.session.commit()
    page = sign_in(site, "admin").get("/admin/criteria-sets/")
    assert page.status_code == 200
    row = re.search(
        r"<tr>\s*<th scope=\"row\"[^>]*>.*?MIC-CUC-2018.*?</tr>", page.text, re.S
    ).group(0)
    assert "Bộ chỉ số CCHC các Cục thuộc Bộ năm 2018" in row
    assert ">2018<" in row and ">Cục<" in row and ">32<" in row
    assert "100,00" in row and "70,00 (70,0%)" in row and "30,00 (30,0%)" in row
    assert "Khảo sát thử" in row
    assert "Tự đánh giá" in page.text and "Điều tra xã hội học" in page.text
    english = sign_in(site, "admin").get("/admin/criteria-sets/?lang=en")
    assert "70.00 (70.0%)" in english.text and "departments (Cục)" in english.text


def test_the_detail_shows_the_tree_with_sources_items_and_area_totals(site):
    page = sign_in(site, "admin").get(f"/admin/criteria-sets/{_id(site, 'MIC-CUC-2018')}")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    text = re.sub(r"\s+", " ", page.text)
    for expected in (
        "Lĩnh vực 1. Công tác chỉ đạo, điều hành cải cách hành chính",
        "Tiêu chí 1.1. Tự đánh giá: Công tác chỉ đạo, điều hành cải cách hành chính",
        "Tiêu chí thành phần 1.1.1",
        "Q01</span> Lãnh đạo đơn vị quan tâm, chỉ đạo sát sao",
        "Điểm tối đa theo lĩnh vực",
        "Lãnh đạo 40,0%, Công chức 60,0%",
    ):
        assert expected in text, expected
    area_row = r'<th scope="row"><a href="#area-(\d)">.*?</a></th>\s*<td class="num">([\d,]+)</td>'
    totals = re.findall(area_row, page.text)
    assert totals[:3] == [("1", "13,00"), ("2", "11,00"), ("3", "20,00")]
    assert "100,00" in text and '70,00 <span class="pct">(70,0%)</span>' in text
    sources = re.findall(r'<span class="source source-\w+">([^<]+)</span>', page.text)
    assert len(sources) == 32 and set(sources) == {"Tự đánh giá", "Điều tra xã hội học"}
    assert ">self<" not in page.text and ">survey<" not in page.text


def test_a_good_upload_is_stored_and_shown(questionnaire_only):
    admin = sign_in(questionnaire_only, "admin")
    uploaded = _upload(admin, _example())
    assert uploaded.status_code == 303
    new_id = _id(questionnaire_only, "MIC-CUC-2018")
    assert uploaded.headers["Location"].endswith(f"/admin/criteria-sets/{new_id}")
    page = admin.get(uploaded.headers["Location"])
    text = re.sub(r"\s+", " ", page.text)
    assert (
        "Đã tải lên bộ tiêu chí MIC-CUC-2018: 32 tiêu chí thành phần, tổng điểm tối đa 100,00."
        in text
    )
    assert "Bộ chỉ số CCHC các Cục thuộc Bộ năm 2018" in text
    with questionnaire_only.app_context():
        cs = db.session.get(CriteriaSet, new_id)
        assert len(cs.subcriteria()) == 32 and cs.max_points == 100
    assert "MIC-CUC-2018" in admin.get("/admin/criteria-sets/").text


def test_a_bad_upload_lists_every_problem_and_changes_nothing(questionnaire_only):
    admin = sign_in(questionnaire_only, "admin")
    before = snapshot(questionnaire_only)
    refused = _upload(admin, BAD)
    assert refused.status_code == 400
    assert "Tệp có lỗi; dữ liệu không thay đổi." in refused.text
    summary = refused.text.split("error-summary", 1)[1].split("</div>", 1)[0]
    for fragment in (
        "tổng trọng số các nhóm phải bằng 1",
        "source phải là &#39;self&#39; hoặc &#39;survey&#39; (giá trị hiện tại: &#39;both&#39;)",
        "max_points (1.1.2) phải &gt; 0",
        "tiêu chí thành phần điều tra 1.1.3 phải liệt kê các câu hỏi của phiếu khảo sát",
        "không có câu hỏi &#39;Z99&#39;",
        "mã tiêu chí thành phần &#39;1.1.3&#39; bị trùng",
    ):
        assert fragment in summary, fragment
    assert snapshot(questionnaire_only) == before


def test_a_set_whose_items_are_not_uploaded_yet_is_refused(empty_site):
    admin = sign_in(empty_site, "admin")
    before = snapshot(empty_site)
    refused = _upload(admin, _example())
    assert refused.status_code == 400
    assert (
        "không có câu hỏi &#39;Q01&#39; trong phiếu khảo sát (hãy tải lên phiếu khảo sát trước)"
        in (refused.text)
    )
    assert snapshot(empty_site) == before


def test_a_reused_code_is_refused_and_a_new_version_is_added(site):
    admin = sign_in(site, "admin")
    before = snapshot(site)
    refused = _upload(admin, _example())
    assert refused.status_code == 400 and "MIC-CUC-2018" in refused.text
    assert snapshot(site) == before
    assert _upload(admin, _example(code="MIC-CUC-2018-B")).status_code == 303
    assert _id(site, "MIC-CUC-2018") and _id(site, "MIC-CUC-2018-B")


def test_a_file_that_is_not_utf8_or_not_yaml_is_refused(questionnaire_only):
    admin = sign_in(questionnaire_only, "admin")
    before = snapshot(questionnaire_only)
    latin1 = {"file": (io.BytesIO("tên: \xe9".encode("latin-1")), "cs.yaml")}
    refused = admin.post("/admin/criteria-sets/upload", data=latin1, content_type=MULTIPART)
    assert refused.status_code == 400 and "UTF-8" in refused.text
    assert _upload(admin, "areas: [unclosed").status_code == 400
    no_file = admin.post("/admin/criteria-sets/upload", data={}, content_type=MULTIPART)
    assert no_file.status_code == 400 and "Có lỗi cần sửa" in no_file.text
    assert snapshot(questionnaire_only) == before


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_other_roles_are_refused_and_nothing_changes(site, role):
    client = sign_in(site, role)
    before = snapshot(site)
    cs_id = _id(site, "MIC-CUC-2018")
    for url in (
        "/admin/criteria-sets/",
        f"/admin/criteria-sets/{cs_id}",
        "/admin/criteria-sets/upload",
    ):
        assert client.get(url).status_code == 403, url
    assert _upload(client, _example(code="MIC-CUC-2019")).status_code == 403
    assert snapshot(site) == before


def test_signed_out_visitors_are_sent_to_sign_in(site):
    client = site.test_client()
    assert client.get("/admin/criteria-sets/").status_code == 302
    assert _upload(client, _example(code="MIC-CUC-2019")).status_code == 302
    assert _id(site, "MIC-CUC-2019") is None
