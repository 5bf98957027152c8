"""Each role's year in the browser, on a fresh database served by `parindex serve`:
the focal point enters scores with evidence and explains after round 1; the appraiser
decides round 1 and round 2; the viewer reads and can change nothing.

The tests of this module run in order on one server: each continues the year where the
previous one left it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, WIDTHS, sign_in, start_server, stop_server
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "admin": "admin@bo.gov.vn",
    "appraiser": "thamdinh@bo.gov.vn",
    "focal": "daumoi.c01@bo.gov.vn",
    "viewer": "xem@bo.gov.vn",
}


def _prepare(server) -> None:
    """What the admin's journey sets up (kept to the CLI until every page exists)."""
    server.cli(
        "users",
        "create",
        ACCOUNTS["admin"],
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    server.cli("import", "questionnaire", str(EXAMPLES / "questionnaire.yaml"))
    server.cli("import", "units", str(EXAMPLES / "units.csv"))
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        server.cli("import", "criteria-set", str(EXAMPLES / name))
    for role in ("appraiser", "viewer"):
        server.cli(
            "users",
            "create",
            ACCOUNTS[role],
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    server.cli(
        "users",
        "create",
        ACCOUNTS["focal"],
        "--role",
        "focal",
        "--unit",
        "C01",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    server.cli(
        "rounds",
        "create",
        "--name",
        "Điều tra XHH 2026",
        "--criteria-set",
        "MIC-CUC-2018",
        "--criteria-set",
        "MIC-VU-2018",
        "--questionnaire",
        "MIC-XHH-2018",
        "--opens",
        "2026-01-01T00:00:00+07:00",
        "--closes",
        "2099-12-31T17:00:00+07:00",
    )


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("journey") / "instance", _prepare)
    yield server
    stop_server(server)


@pytest.fixture
def as_role(chromium, year):
    """``as_role(role, width="desktop")`` → a signed-in page; contexts close afterwards."""
    contexts = []

    def open_as(role: str, width: str = "desktop"):
        w, h = WIDTHS[width]
        context = chromium.new_context(viewport={"width": w, "height": h})
        contexts.append(context)
        return sign_in(context, year.base, ACCOUNTS[role], PASSWORD)

    yield open_as
    for context in contexts:
        context.close()


def _goto_sheet(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Bảng tự đánh giá của đơn vị").first.click()
    assert "C01" in page.locator("h1").inner_text()


def test_focal_point_enters_scores_with_evidence_and_submits(as_role, year, tmp_path):
    page = as_role("focal", "phone")
    _goto_sheet(page, year.base)
    fieldsets = page.locator("main form fieldset")
    n = fieldsets.count()
    assert n >= 3
    for i in range(n):
        box = fieldsets.nth(i)
        maximum = re.search(r"0 (?:đến|to) ([\d.,]+)", box.inner_text()).group(1).replace(",", ".")
        box.get_by_label("Điểm", exact=True).fill(maximum)
        box.locator("textarea").fill(f"Đã hoàn thành, xem tài liệu {i + 1}")
    page.get_by_role("button", name="Lưu nháp").click()
    # Evidence on the first score, then submit the sheet for appraisal.
    page.locator("main form fieldset").first.get_by_role("link").click()
    evidence = tmp_path / "ke-hoach-cchc.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% ke hoach\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.locator("input[type=file]").set_input_files(str(evidence))
    page.get_by_role("button", name="Tải lên").click()
    assert "ke-hoach-cchc.pdf" in page.content()
    _goto_sheet(page, year.base)
    page.get_by_role("button", name="Lưu và gửi").click()
    assert page.locator("table.data").count() == 1  # locked: shown as a table
    assert "Lưu nháp" not in page.content()


def test_appraiser_lowers_one_score_in_round_one(as_role, year):
    page = as_role("appraiser")
    page.goto(year.base + "/")
    page.get_by_role("link", name=re.compile("đang chờ thẩm định vòng 1")).first.click()
    page.get_by_role("link", name=re.compile("C01")).first.click()
    first = page.locator("form[action$='/appraise'] fieldset").first
    first.get_by_label("Điểm thẩm định").fill("0")
    first.locator("textarea").fill("Chưa có kế hoạch được phê duyệt")
    page.get_by_role("button", name="Lưu kết quả thẩm định").click()
    assert page.locator(".error-text").count() == 0, page.locator(".error-text").all_inner_texts()
    assert "Đã thẩm định" in page.content() or "đã thẩm định" in page.content()


def test_focal_point_explains_the_adjusted_score(as_role, year):
    page = as_role("focal")
    page.goto(year.base + "/")
    page.get_by_role("link", name=re.compile("đã bị điều chỉnh: hãy gửi giải trình")).click()
    page.locator("table.data tbody tr").first.get_by_role("link").click()
    page.get_by_label("Nội dung giải trình").fill("Kế hoạch đã ban hành ngày 15/01, kèm quyết định")
    page.get_by_role("button", name="Gửi giải trình").click()
    assert "Kế hoạch đã ban hành ngày 15/01" in page.content()


def test_appraiser_decides_round_two(as_role, year):
    page = as_role("appraiser")
    page.goto(year.base + "/")
    page.get_by_role("link", name=re.compile("đã giải trình đang chờ thẩm định vòng 2")).click()
    page.get_by_role("link", name=re.compile("C01")).first.click()
    page.locator("table.data tbody tr").first.get_by_role("link").click()
    form = page.locator("form[action$='/decide']")
    form.locator("input[inputmode=decimal]").fill("1")
    form.locator("textarea").fill("Chấp nhận một phần sau giải trình")
    form.get_by_role("button").click()
    assert "Chấp nhận một phần sau giải trình" in page.content()
    assert "Vòng 2" in page.content()
    page.goto(year.base + "/")
    assert "Hiện không có việc nào chờ bạn." in page.content()


def test_viewer_reads_everything_and_can_change_nothing(as_role, year):
    page = as_role("viewer", "phone")
    page.goto(year.base + "/")
    page.get_by_role("button", name="Trình đơn").click()
    page.get_by_role("link", name="Tự đánh giá & thẩm định").click()
    page.get_by_role("link", name="Điều tra XHH 2026").click()
    page.get_by_role("link", name=re.compile("C01")).first.click()
    assert page.locator("main form").count() == 0  # no form to change anything
    for path in ("/admin/rounds/", "/admin/users/", "/admin/units/"):
        assert page.goto(year.base + path).status in (403, 404)
