"""Each role's year in the browser, on a fresh database served by `parindex serve`.

The admin (the one account a fresh install creates with `parindex users create`) uploads
the questionnaire, units and criteria sets, creates the other accounts, creates, opens
and invites a round and imports paper responses; the focal point enters scores with
evidence and explains after round 1; the appraiser decides rounds 1 and 2; the admin
closes the round through its confirmation, computes the index, publishes and withdraws
the publication with a reason; the viewer reads and can change nothing.

The tests of this module run in order on one server: each continues the year where the
previous one left it."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from survey_app.i18n import gettext
from tests.browser.conftest import PASSWORD, WIDTHS, sign_in, start_server, stop_server
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "admin": "admin@bo.gov.vn",
    "appraiser": "thamdinh@bo.gov.vn",
    "focal": "daumoi.c01@bo.gov.vn",
    "viewer": "xem@bo.gov.vn",
}
#: Passwords: the admin's from the command line; the others as the users page shows them.
PASSWORDS = {"admin": PASSWORD}
ROUND = "Điều tra XHH 2026"


def t(english: str) -> str:
    """The Vietnamese the product shows for ``english`` (its own catalogue)."""
    return gettext(english, "vi")


def _prepare(server) -> None:
    """A fresh install: the database and the first admin account, nothing else."""
    server.cli(
        "users",
        "create",
        ACCOUNTS["admin"],
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
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
        return sign_in(context, year.base, ACCOUNTS[role], PASSWORDS[role])

    yield open_as
    for context in contexts:
        context.close()


def _menu(page, label: str) -> None:
    page.locator("#site-menu").get_by_role("link", name=label, exact=True).click()


def _upload(page, menu: str, action: str, path) -> None:
    _menu(page, menu)
    page.get_by_role("link", name=action).first.click()
    page.locator("main input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name=t("Upload")).click()
    assert page.locator(".error-summary").count() == 0, page.locator("main").inner_text()


def _local(delta: dt.timedelta) -> str:
    """A ``datetime-local`` value in Viet Nam time."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7) + delta).strftime("%Y-%m-%dT%H:%M")


def test_admin_sets_up_the_year_in_the_browser(as_role, year):
    page = as_role("admin")
    _upload(page, t("Questionnaires"), t("Upload a questionnaire"), EXAMPLES / "questionnaire.yaml")
    assert "MIC-XHH-2018" in page.content()
    _upload(page, t("Units"), t("Upload units (CSV)"), EXAMPLES / "units.csv")
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        _upload(page, t("Criteria sets"), t("Upload a criteria set"), EXAMPLES / name)
    _menu(page, t("Criteria sets"))
    assert "MIC-CUC-2018" in page.content() and "MIC-VU-2018" in page.content()

    for role, unit in (("appraiser", None), ("focal", "C01"), ("viewer", None)):
        _menu(page, t("Users"))
        page.get_by_role("link", name=t("New user")).click()
        page.locator("input[name=email]").fill(ACCOUNTS[role])
        page.locator(f"input[name=role][value={role}]").check()
        if unit:
            page.locator("select[name=unit]").select_option(unit)
        page.get_by_role("button", name=t("Create the account")).click()
        PASSWORDS[role] = page.locator("code.secret").inner_text().strip()
        assert len(PASSWORDS[role]) >= 12

    _menu(page, t("Survey rounds"))
    page.get_by_role(
        "link", name=re.compile(t("New round") + "|" + t("Create a round"))
    ).first.click()
    page.locator("input[name=name]").fill(ROUND)
    for box in page.locator("input[name=criteria_sets]").all():
        box.check()
    page.locator("input[name=questionnaire]").first.check()
    page.locator("input[name=opens]").fill(_local(-dt.timedelta(hours=1)))
    page.locator("input[name=closes]").fill(_local(dt.timedelta(days=30)))
    page.get_by_role("button", name=t("Create round")).click()
    assert page.locator("h1").inner_text().startswith(ROUND)
    if page.get_by_role("button", name=t("Open the round")).count():
        page.get_by_role("button", name=t("Open the round")).click()
    assert t("open") in page.locator("h1").inner_text()

    tabs = page.locator("nav.tabs")
    tabs.get_by_role("link", name=t("Invitations"), exact=True).click()
    page.locator("input[name=respondents]").set_input_files(str(EXAMPLES / "respondents.csv"))
    page.get_by_role("button", name=t("Create invitations")).click()
    tabs.get_by_role("link", name=re.compile(t("Other channels"), re.I)).click()
    page.locator("input[name=responses]").set_input_files(str(EXAMPLES / "responses.csv"))
    page.get_by_role("button", name=t("Import responses")).click()
    tabs.get_by_role("link", name=re.compile(t("Overview"))).click()
    totals = page.locator("main").inner_text()
    assert "60" in totals and "520" in totals  # invited, and paper responses


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


def test_admin_closes_computes_publishes_and_withdraws_with_a_reason(as_role, year):
    page = as_role("admin")
    page.goto(year.base + "/")
    page.get_by_role("link", name=t("Manage the round")).first.click()
    page.get_by_role("link", name=re.compile(t("Close the round"))).first.click()
    assert "60" in page.locator(".consequences").inner_text()  # who can no longer answer
    page.locator("button.danger").click()
    assert t("closed") in page.locator("h1").inner_text()

    page.locator("nav.tabs").get_by_role("link", name=t("Results and publication")).click()
    page.locator("input[name=is_final]").check()
    page.get_by_role("button", name=t("Request a new run")).click()
    for _ in range(120):  # the embedded worker computes it in the server process
        if page.locator("select#version option").count():
            break
        time.sleep(0.5)
        page.reload()
    page.get_by_role("button", name=re.compile(t("Publish"))).click()
    assert "21" in page.locator(".consequences").inner_text()  # units that will be published
    page.locator("button.danger").click()
    assert t("This round is published; its figures are frozen.") in page.content()

    public = page.context.browser.new_page()
    public.goto(year.base + "/results/")
    assert ROUND in public.content()
    public.close()

    page.get_by_role("link", name=re.compile(t("Withdraw the publication"))).click()
    page.locator("button.danger").click()  # without a reason: refused
    assert page.locator(".error-summary").count() == 1
    page.locator("textarea[name=reason]").fill("Sai số liệu của Cục C03, cần tính lại")
    page.locator("button.danger").click()
    assert t("This round is published; its figures are frozen.") not in page.content()
    page.goto(year.base + "/admin/rounds/")
    page.get_by_role("link", name=ROUND).click()
    page.locator("nav.tabs").get_by_role(
        "link", name=re.compile(t("History") + "|" + t("Dates and history"))
    ).click()
    assert "Sai số liệu của Cục C03, cần tính lại" in page.content()


def test_viewer_reads_everything_and_can_change_nothing(as_role, year):
    page = as_role("viewer", "phone")
    page.goto(year.base + "/")
    page.get_by_role("button", name="Trình đơn").click()
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Tự đánh giá và thẩm định"
    ).click()
    page.get_by_role("link", name="Điều tra XHH 2026").click()
    page.get_by_role("link", name=re.compile("C01")).first.click()
    assert page.locator("main form").count() == 0  # no form to change anything
    for path in ("/admin/rounds/", "/admin/users/", "/admin/units/"):
        assert page.goto(year.base + path).status in (403, 404)
