"""The catalogue pages in a real Chromium at phone width (360 px)."""

from __future__ import annotations

import pytest

from tests.questionnaires.conftest import PASSWORD
from tests.rounds.httpserver import serving
from tests.rounds.test_browser import ARTIFACTS, PHONE, chromium  # noqa: F401

PAGES = {
    "questionnaires": "/admin/questionnaires/",
    "questionnaire": "/admin/questionnaires/1",
    "preview": "/admin/questionnaires/1/preview",
    "criteria-sets": "/admin/criteria-sets/",
    "criteria-set": "/admin/criteria-sets/1",
    "criteria-upload": "/admin/criteria-sets/upload",
}


@pytest.mark.browser
def test_the_catalogue_pages_fit_a_phone_and_tables_scroll_in_their_own_region(site, chromium):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(site) as port:
        base = f"http://127.0.0.1:{port}"
        page = chromium.new_context(viewport=PHONE, is_mobile=True).new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=email]", "admin@x.vn")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        for name, path in PAGES.items():
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
            page.screenshot(path=str(ARTIFACTS / f"catalogue-{name}.png"))
        page.goto(base + PAGES["criteria-set"])
        assert page.get_by_role("region", name="Điểm tối đa theo lĩnh vực").count() == 1
        assert page.get_by_role("rowheader").count() >= 8  # one per area and the total
        page.locator(".totals").screenshot(path=str(ARTIFACTS / "catalogue-area-totals.png"))
        page.locator("#area-1").screenshot(path=str(ARTIFACTS / "catalogue-area-1.png"))
        page.goto(base + PAGES["questionnaire"])
        page.locator(".scale").screenshot(path=str(ARTIFACTS / "catalogue-scale.png"))
