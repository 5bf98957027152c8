"""Print → PDF of the results page and a scorecard: the annex a ministry attaches to its
decision (A4, content only, tables whole, the wide chart layout, a header line)."""

from __future__ import annotations

import pytest

from tests.results.test_browser import ARGS, ARTIFACTS, CHROMIUM, served  # noqa: F401

HIDDEN_IN_PRINT = "header.site, footer.site, nav, form, button, .langs, .crumbs, .downloads"


def _visible(page, selector: str) -> list[str]:
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
             .filter(el => el.getClientRects().length > 0)
             .map(el => el.tagName + "." + el.className)""",
        selector,
    )


@pytest.mark.browser
def test_printed_results_show_the_figures_without_navigation_or_forms(demo_app, served):  # noqa: F811
    from playwright.sync_api import sync_playwright

    demo_app.config["MINISTRY"] = "Bộ Thông tin và Truyền thông"  # PARINDEX_MINISTRY

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            # a phone-sized window: printing still uses the page's A4 width and wide charts
            page = browser.new_page(viewport={"width": 360, "height": 740})
            for url, name in (
                ("/results/1?lang=vi", "round"),
                ("/results/1/units/C01?lang=vi", "scorecard"),
            ):
                page.goto(served + url)
                page.emulate_media(media="screen")
                assert page.locator(".print-header").is_hidden()
                page.emulate_media(media="print")
                assert _visible(page, HIDDEN_IN_PRINT) == [], url
                header = page.locator(".print-header")
                assert header.is_visible()
                line = header.inner_text()
                assert line.startswith("Bộ Thông tin và Truyền thông · Chỉ số CCHC · ")
                assert "lần tính 2" in line and "công bố ngày" in line
                assert page.locator("h1").is_visible()
                page.pdf(
                    path=str(ARTIFACTS / f"print-{name}.pdf"), format="A4", print_background=True
                )
            # the results page: the ranking tables and the wide charts print, not the narrow ones
            page.goto(served + "/results/1?lang=vi")
            page.emulate_media(media="print")
            assert page.locator("table.ranking").first.is_visible()
            assert page.locator("table.ranking tbody tr:visible").count() >= 10
            assert page.locator(".chart-wide").first.is_visible()
            assert page.locator(".chart-narrow").first.is_hidden()
            rows_break = page.evaluate(
                """() => getComputedStyle(document.querySelector("table.ranking tbody tr"))
                     .breakInside"""
            )
            assert rows_break == "avoid"
        finally:
            browser.close()
