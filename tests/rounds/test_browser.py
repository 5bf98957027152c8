"""A real Chromium on a phone-sized screen: open the link, answer, save, resume, submit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.responses.models import Response
from tests.rounds.conftest import RESPONDENTS_HEADER, invite
from tests.rounds.httpserver import serving
from tests.services import require_or_skip

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def chromium():
    require_or_skip(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
def test_a_respondent_answers_saves_resumes_and_submits_on_a_phone(sqlite_round, chromium):
    app, round_id = sqlite_round
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    with app.app_context():
        [token] = invite(round_id, RESPONDENTS_HEADER + "an@x.vn,An,leader,C01,C01-leader,D1,F\n")
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        first = chromium.new_context(viewport=PHONE, is_mobile=True)
        page = first.new_page()
        page.goto(f"{base}/r/{token}")
        assert page.url == f"{base}/respond" and token not in page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_role("group", name="Lãnh đạo đơn vị quan tâm").get_by_label("Rất tốt").check()
        page.locator("#Q02-3").focus()
        page.keyboard.press("Space")  # radios work from the keyboard
        page.get_by_role("button", name="Lưu và làm tiếp sau").click()
        assert "Câu trả lời của Quý vị đã được lưu" in page.content()
        first.close()

        second = chromium.new_context(viewport=PHONE, is_mobile=True)  # another day, device
        page = second.new_page()
        page.goto(f"{base}/r/{token}")
        assert page.locator("#Q01-4").is_checked() and page.locator("#Q02-3").is_checked()
        for code in ("Q03", "Q04", "Q05", "Q06"):
            page.locator(f"#{code}-4").check()
        page.locator("#Q07-9").check()  # "don't know"
        page.screenshot(path=str(ARTIFACTS / "respond-phone-360.png"), full_page=True)
        page.get_by_role("button", name="Gửi câu trả lời").click()
        assert page.url == f"{base}/respond/done"
        assert "Xin cảm ơn" in page.content()
        page.screenshot(path=str(ARTIFACTS / "respond-phone-360-done.png"))
        page.go_back()
        page.goto(f"{base}/r/{token}")
        assert "Câu trả lời đã được gửi trước đó" in page.content()
        second.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert len(db.session.scalar(select(Response.answers))) == 7
    assert (ARTIFACTS / "respond-phone-360.png").stat().st_size > 10_000
