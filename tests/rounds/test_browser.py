"""A real Chromium on a phone-sized screen: open the link, answer, save, resume, submit;
Enter never submits; a partial submission is reviewed first; errors take focus; the
respondent page photographed at 360 and 1366 px in Vietnamese and English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.responses.models import Response
from tests.chromium import ARGS, CHROMIUM
from tests.rounds.conftest import RESPONDENTS_HEADER, invite
from tests.rounds.httpserver import serving
from tests.services import require_or_skip

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def chromium():
    require_or_skip(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _axe(page) -> list[str]:
    """axe-core's serious and critical violations (none checked if it is not installed)."""
    from tests.browser.conftest import AXE, axe_violations

    return axe_violations(page) if AXE.exists() else []


def _focused(page) -> str:
    """The class of the focused element once the page's scripts have run."""
    page.wait_for_load_state("load")
    return page.evaluate("document.activeElement.className")


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
        page.get_by_role("button", name="Lưu và trả lời tiếp sau").click()
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
        assert page.url == f"{base}/respond?s=0&review=1"  # 5 questions left: reviewed first
        assert _focused(page) == "review-summary"
        page.get_by_role("button", name="Gửi mà không trả lời các câu này").first.click()
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


# -- a Kobo-style form with an introduction: three pages, typed answers -----------------

INTRO_COLUMNS = [
    "purpose::Tiếng Việt (vi)",
    "purpose::English (en)",
    "organisation::Tiếng Việt (vi)",
    "organisation::English (en)",
    "minutes",
    "contact",
]
INTRO_VALUES = [
    "Khảo sát giúp Bộ biết người dân đánh giá thế nào về thủ tục hành chính của Bộ, "
    "để cải thiện chất lượng phục vụ.",
    "The survey tells the ministry how citizens rate its administrative procedures, "
    "so that it can serve them better.",
    "Văn phòng Bộ Thông tin và Truyền thông",
    "Office of the Ministry of Information and Communications",
    6,
    "cchc@mic.gov.vn · 024 3556 1234",
]


def _kobo_round(app, tmp_path, people: int) -> list[str]:
    """The Kobo PAR form of ``xlsform_books`` with an introduction on its settings sheet."""
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.formats.units_csv import parse_units
    from survey_app.formats.xlsform import parse_xlsform
    from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
    from survey_app.rounds.operations import create_round, open_round
    from survey_app.units.operations import import_units
    from tests.rounds.test_xlsform_kobo import CRITERIA
    from tests.rounds.xlsform_books import KOBO_CHOICES, KOBO_SETTINGS, KOBO_SURVEY, workbook

    settings = [KOBO_SETTINGS[0] + INTRO_COLUMNS, KOBO_SETTINGS[1] + INTRO_VALUES]
    path = workbook(tmp_path / "kobo.xlsx", KOBO_SURVEY, KOBO_CHOICES, settings)
    with app.app_context():
        import_questionnaire(parse_xlsform(path.read_bytes(), path.name), path.name)
        text = CRITERIA.replace("ITEMS", "Q01, Q02")
        import_criteria_set(parse_criteria_set(text, "cs.yaml", known_item_codes()), "cs.yaml")
        units = "code,kind,name_vi,name_en\nC01,cuc,Cục An toàn thông tin,Information Security\n"
        import_units(parse_units(units, "units.csv"))
        rnd = create_round("Khảo sát Kobo", ["PAR-KOBO-CUC"], "PAR-KOBO-2026")
        open_round(rnd)
        db.session.commit()
        # no population margins here, so the list carries no weighting column
        lines = "".join(f"p{i}@x.vn,P{i},official,C01,C01-official,D1\n" for i in range(people))
        return invite(rnd.id, "email,name,group,unit,stratum,psu\n" + lines)


def _stored(app) -> tuple[int, int]:
    from survey_app.invitations.models import ResponseDraft

    with app.app_context():
        count = select(func.count())
        return (
            db.session.scalar(count.select_from(Response)),
            db.session.scalar(count.select_from(ResponseDraft)),
        )


@pytest.mark.browser
def test_enter_on_a_choice_or_in_a_typed_answer_never_submits(sqlite_app, chromium, tmp_path):
    app = sqlite_app
    app.config["WTF_CSRF_ENABLED"] = True
    [token] = _kobo_round(app, tmp_path, 1)
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        page = chromium.new_context(viewport=PHONE, is_mobile=True).new_page()
        page.goto(f"{base}/r/{token}")
        page.get_by_role("button", name="Tiếp theo").click()
        assert page.url == f"{base}/respond?s=1"
        page.evaluate("window.stillHere = true")  # gone if the page were sent and reloaded
        page.locator("#resp_group-2").check()
        page.locator("#resp_group-2").press("Enter")
        page.locator("#age").fill("45")
        page.locator("#age").press("Enter")
        page.wait_for_timeout(700)  # a form sent by Enter would have navigated by now
        assert page.evaluate("window.stillHere === true") and page.url == f"{base}/respond?s=1"
        assert page.locator("#resp_group-2").is_checked()
        assert page.locator("#age").input_value() == "45"
        assert _stored(app)[0] == 0
        with app.app_context():  # the draft is what "Tiếp theo" saved on page 1: nothing
            from survey_app.invitations.models import ResponseDraft

            assert db.session.scalar(select(ResponseDraft.answers)) == {}
        page.context.close()


@pytest.mark.browser
def test_errors_and_the_review_take_focus_and_only_the_second_action_submits(
    sqlite_app, chromium, tmp_path
):
    app = sqlite_app
    app.config["WTF_CSRF_ENABLED"] = True
    first, second, third = _kobo_round(app, tmp_path, 3)
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        phone = chromium.new_context(viewport=PHONE, is_mobile=True)
        page = phone.new_page()
        page.goto(f"{base}/r/{first}")
        assert "Văn phòng Bộ Thông tin và Truyền thông" in page.content()
        assert page.get_by_role("progressbar", name="Trang 1 / 3").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.get_by_role("link", name="Đăng nhập").count() == 0
        page.screenshot(path=str(ARTIFACTS / "respond-intro-vi-360.png"), full_page=True)
        assert _axe(page) == []
        page.get_by_role("button", name="Tiếp theo").click()

        page.get_by_role("button", name="Tiếp theo").click()  # a required question left empty
        summary = page.get_by_role("alert")
        assert "Câu 1: Anh/Chị thuộc nhóm nào?" in summary.inner_text()
        assert _focused(page) == "error-summary"
        page.screenshot(path=str(ARTIFACTS / "respond-error-vi-360.png"), full_page=True)
        assert _axe(page) == []
        summary.get_by_role("link").first.click()
        assert page.evaluate("document.activeElement.id") == "resp_group-1"
        page.locator("#resp_group-2").check()
        page.get_by_role("button", name="Tiếp theo").click()
        assert page.url == f"{base}/respond?s=2"
        assert "Trang 3 / 3" in page.content()
        page.locator("#Q01-4").check()
        page.locator("#Q02-4").check()
        page.screenshot(path=str(ARTIFACTS / "respond-page3-vi-360.png"), full_page=True)
        page.get_by_role("button", name="Gửi câu trả lời").click()

        assert page.url == f"{base}/respond?s=2&review=1"
        assert _focused(page) == "review-summary"
        review = page.locator(".review-summary")
        assert "Câu 3: Tuổi" in review.inner_text()
        assert _stored(app)[0] == 0
        page.screenshot(path=str(ARTIFACTS / "respond-review-vi-360.png"), full_page=True)
        assert _axe(page) == []
        review.get_by_role("link", name="Câu 3: Tuổi").click()  # back to page 2, to the question
        assert page.url == f"{base}/respond?s=1#age-legend"
        page.locator("#age").fill("45")
        page.get_by_role("button", name="Tiếp theo").click()
        page.get_by_role("button", name="Gửi câu trả lời").click()
        assert (
            "review=1" in page.url
            and "Câu 3: Tuổi" not in page.locator(".review-summary").inner_text()
        )
        assert _stored(app)[0] == 0
        page.get_by_role("button", name="Gửi mà không trả lời các câu này").first.click()
        assert page.url == f"{base}/respond/done"
        text = page.content()
        assert "Ban tổ chức tổng hợp kết quả" in text and "ẩn danh" in text
        page.screenshot(path=str(ARTIFACTS / "respond-done-vi-360.png"), full_page=True)
        assert _axe(page) == []
        phone.close()
        with app.app_context():
            assert db.session.scalar(select(Response.answers)) == {
                "resp_group": 2,
                "age": 45,
                "Q01": 4,
                "Q02": 4,
            }

        for name, size, token, lang in (
            ("en-360", PHONE, second, "en"),
            ("vi-1366", DESKTOP, third, "vi"),
        ):
            context = chromium.new_context(viewport=size, is_mobile=size == PHONE)
            page = context.new_page()
            page.goto(f"{base}/r/{token}?lang={lang}")
            assert page.url == f"{base}/respond?lang={lang}"  # the link's own page, renamed
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            page.screenshot(path=str(ARTIFACTS / f"respond-intro-{name}.png"), full_page=True)
            assert _axe(page) == []
            page.get_by_role("button", name="Next" if lang == "en" else "Tiếp theo").click()
            page.screenshot(path=str(ARTIFACTS / f"respond-page2-{name}.png"), full_page=True)
            other = "vi" if lang == "en" else "en"
            page.goto(f"{base}/respond?s=1&lang={other}")
            size_name = name.split("-")[1]
            page.screenshot(
                path=str(ARTIFACTS / f"respond-page2-{other}-{size_name}.png"), full_page=True
            )
            page.goto(f"{base}/respond?s=0")
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            page.screenshot(
                path=str(ARTIFACTS / f"respond-intro-{other}-{size_name}.png"), full_page=True
            )
            context.close()
    assert (ARTIFACTS / "respond-intro-vi-360.png").stat().st_size > 10_000
