"""Screenshots of the published ranking page and of one scorecard, on a desktop and a phone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.chromium import ARGS, CHROMIUM
from tests.results.conftest import publish_demo
from tests.services import require_or_skip

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SIZES = {"": (1280, 900), "-phone": (360, 740)}


@pytest.fixture
def served(demo_app):
    """The published demo served over HTTP on a free local port."""
    require_or_skip(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    publish_demo(demo_app)
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.mark.browser
def test_ranking_page_and_scorecard_render_on_desktop_and_phone(served):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for suffix, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{served}/results/1?lang=vi")
                assert page.locator("svg[role=img]:visible").count() == 4
                # Every unit's name is drawn at 12 px or more at this width, and the
                # 80% line says what it is.
                smallest = page.evaluate(
                    """() => Math.min(...[...document.querySelectorAll("svg[role=img]")]
                      .filter(svg => svg.getBoundingClientRect().width > 0)
                      .flatMap(svg => [...svg.querySelectorAll("text.unit-label")].map(t =>
                        parseFloat(getComputedStyle(t).fontSize)
                        * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)))"""
                )
                assert smallest >= 12, f"unit labels drawn at {smallest:.1f} px"
                assert page.locator("text.reference-label:visible").count() >= 1
                assert "Cục Báo chí" in page.locator("table.ranking").first.inner_text()
                # a table too wide for the screen is a labelled region whose cue is the
                # catalogue's, in the page's language (base.html hands it to tables.js)
                wide = page.locator("table.scrolls").evaluate_all("ts => ts.map(t => t.ariaLabel)")
                assert all(x.endswith(" — Cuộn ngang để xem thêm cột") for x in wide), wide
                assert wide or width > 1000, "no ranking table scrolls at phone width"
                page.screenshot(path=str(ARTIFACTS / f"ranking{suffix}.png"), full_page=True)
                page.goto(f"{served}/results/1/units/C01?lang=en")
                assert "Survey sub-criteria" in page.content()
                page.screenshot(path=str(ARTIFACTS / f"scorecard{suffix}.png"), full_page=True)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 1, "the page scrolls sideways; only tables and charts may"
                page.close()
        finally:
            browser.close()
    for name in ("ranking", "ranking-phone", "scorecard", "scorecard-phone"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
