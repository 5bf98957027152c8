"""Ranking page and scorecards of the demo round: figures, languages, charts, flags."""

from __future__ import annotations

import re

from tests.results.conftest import sign_in


def _ranking_table(html: str, kind: str) -> str:
    section = html.split(f'id="kind-{kind}"')[1].split("</section>")[0]
    return section.split('<table class="data ranking">')[1].split("</table>")[0]


def test_ranking_page_lists_each_kind_in_rank_order_with_vietnamese_decimals(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1?lang=vi").text
    cuc = _ranking_table(html, "cuc")
    rows = cuc.split("<tr>")[2:]
    assert len(rows) == 10
    assert "Cục Báo chí" in rows[0] and "91,40" in rows[0] and "90,70 – 92,10" in rows[0]
    assert ">1–2<" in rows[0] and "+7,07" in rows[0]
    assert "Cục Thông tin cơ sở" in rows[-1] and "60,18" in rows[-1]
    assert not re.search(r">\s*\d+\.\d\d", cuc), "no decimal point in the Vietnamese table"
    assert len(_ranking_table(html, "vu").split("<tr>")[2:]) == 11


def test_the_method_note_says_the_frame_gives_finite_population_corrections(demo_app):
    client = sign_in(demo_app, "viewer")
    en = client.get("/results/1?lang=en").text.split('class="method muted"')[1]
    assert "finite population corrections" in en.split("</p>")[0]
    # Vietnamese: survey_app/i18n/vi/w3-engine.json, folded into the catalogue at merge


def test_ranking_page_in_english_uses_decimal_points_and_english_names(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1?lang=en").text
    cuc = _ranking_table(html, "cuc")
    assert "Press Authority" in cuc and "91.40" in cuc and "90.70 – 92.10" in cuc
    assert "Ranking of the departments (Cục)" in cuc


def test_ranking_page_explains_flags_and_overlapping_intervals(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1?lang=en").text
    assert "CI overlaps a neighbour" in html
    assert "the data do not settle the order of the two" in html
    assert "the data cannot tell them apart" in html
    assert "What the flags mean" in html


def test_ranking_page_announces_the_summary_in_both_languages(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1?lang=vi").text
    assert "10 Cục: chỉ số trung bình đạt 80,26%; cao nhất 91,40% (Cục Báo chí)" in html
    assert "khoảng cách giữa đơn vị cao nhất và thấp nhất là 31,22 điểm phần trăm" in html
    assert "tăng 4,31 điểm phần trăm so với năm trước (75,95%)" in html
    assert "6/10 đơn vị (60,0%) đạt từ 80% trở lên" in html
    assert "Vụ Khoa học và Công nghệ (giảm 2,24 điểm)" in html
    assert "10 departments (Cục): mean index 80.26%; highest 91.40% (Press Authority)" in html
    assert "The mean rose 2.61 percentage points on the previous year (76.33%)." in html


def test_charts_are_accessible_svg_with_one_mark_per_unit(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1?lang=en").text
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    # index and rank interval, per kind, each laid out for desktops and for phones
    assert len(svgs) == 8
    for svg in svgs:
        assert 'role="img"' in svg and "aria-label=" in svg
        assert "<title" in svg and "<desc" in svg
    assert [svg.count('class="point"') for svg in svgs] == [10] * 4 + [11] * 4
    for wide, narrow in (svgs[0:2], svgs[2:4]):
        assert 'viewBox="0 0 764 ' in wide and 'viewBox="0 0 340 ' in narrow
    assert "Press Authority: index 91.40% (95% CI 90.70 to 92.10)" in svgs[0] and svgs[1]
    assert "Press Authority: rank 1 (interval 1 to 2 at 95%)" in svgs[2] and svgs[3]


def test_pages_have_no_inline_script_or_style_for_a_strict_csp(demo_app):
    client = sign_in(demo_app, "admin")
    for url in ("/results/1", "/results/1/units/C01", "/results/1/runs", "/results/"):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url


def test_scorecard_shows_areas_self_appraised_survey_points_and_groups(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1/units/C01?lang=en").text
    assert "Authority of Information Security" in html
    assert "81.88" in html  # the index
    assert "Steering of administrative reform" in html
    self_table = html.split('class="data subs self"')[1].split("</table>")[0]
    row = self_table.split("1.1.1</span>")[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["3.00", "2.85", "2.60", "−0.25"]  # max, self, appraised, appraised − self
    survey = html.split('class="data subs survey"')[1].split("</table>")[0]
    row = survey.split("1.2.1</span>")[1].split("</tr>")[0]
    # the demo round's frame: SEs with its fpc (element sampling within unit × group)
    assert "2.34" in row and "0.06" in row and "2.22 – 2.45" in row
    assert ">8<" in row and "79.69" in row and "2.33" in row  # leaders: n, mean %, SE
    assert "Leaders" in survey and "Civil servants" in survey


def test_scorecard_in_vietnamese_uses_decimal_commas(demo_app):
    html = sign_in(demo_app, "viewer").get("/results/1/units/C01?lang=vi").text
    assert "Tiêu chí thành phần tự đánh giá" in html and "81,88" in html
    self_table = html.split('class="data subs self"')[1].split("</table>")[0]
    assert "2,85" in self_table and "−0,25" in self_table
    assert "Chênh lệch (thẩm định − tự đánh giá)" in self_table


def test_unknown_unit_or_run_is_not_found(demo_app):
    client = sign_in(demo_app, "viewer")
    assert client.get("/results/1/units/NOPE").status_code == 404
    assert client.get("/results/1?run=99").status_code == 404
    assert client.get("/results/99").status_code == 404


def test_admin_sees_the_runs_facts_others_do_not(demo_app):
    admin = sign_in(demo_app, "admin").get("/results/1?lang=en").text
    assert "About this run" in admin and "Inputs hash" in admin and "Runs and publication" in admin
    viewer = sign_in(demo_app, "viewer").get("/results/1?lang=en").text
    assert "Inputs hash" not in viewer and "Microdata" not in viewer
