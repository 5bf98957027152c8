"""The respondent's side with the Flask test client: link → clean URL → form → save →
resume → submit, and the pages of used, revoked, closed and unknown links."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite

ONE = RESPONDENTS_HEADER + "an@x.vn,Nguyễn Văn An,leader,C01,C01-leader,C01-D1,F\n"


def _link(app, round_id, text=ONE) -> str:
    with app.app_context():
        return invite(round_id, text)[0]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_link_is_exchanged_for_a_session_and_a_clean_url(round_app):
    """The link answers with the form itself (one request less on a slow phone), which
    posts to the clean ``/respond`` and names no token; a script puts ``/respond`` in the
    address bar, and reloading there shows the same form from the session."""
    app, round_id = round_app
    token = _link(app, round_id)
    client = app.test_client()
    opened = client.get(f"/r/{token}")
    assert opened.status_code == 200
    assert token not in opened.text
    assert 'action="/respond"' in opened.text and "respond-address.js" in opened.text
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert opened.headers["Cache-Control"] == "no-store"
    assert opened.headers["X-Robots-Tag"] == "noindex, nofollow"
    form = client.get("/respond")
    assert form.status_code == 200
    assert token not in form.text
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert form.headers["Cache-Control"] == "no-store"
    assert 'lang="vi"' in form.text and "Rất tốt" in form.text


def test_every_item_is_an_accessible_radio_group_with_dont_know(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.get("/respond?lang=en").text
    assert page.count("<fieldset") == 12 and page.count("<legend") == 12
    assert 'for="Q01-4"' in page and 'id="Q01-4"' in page and 'type="radio"' in page
    assert "Don&#39;t know" in page or "Don't know" in page
    assert "Unit leaders steer reform closely" in page


def test_missing_required_answer_is_explained_in_vietnamese_and_linked_to_its_group(
    sqlite_round,
):
    app, round_id = sqlite_round
    with app.app_context():
        from survey_app.questionnaires.models import Item

        for item in db.session.scalars(select(Item)):
            item.is_required = True
        db.session.commit()
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.post("/respond", data={"s": "0", "action": "submit", "Q01": "4"})
    assert page.status_code == 200
    assert "Vui lòng chọn một câu trả lời." in page.text
    assert 'aria-describedby="Q02-error"' in page.text and 'id="Q02-error"' in page.text
    assert _count(app, Response) == 0


def test_answers_are_saved_and_resumed_from_another_device(round_app):
    app, round_id = round_app
    token = _link(app, round_id)
    phone = app.test_client()
    phone.get(f"/r/{token}")
    saved = phone.post("/respond", data={"s": "0", "action": "save", "Q01": "4", "Q02": "9"})
    assert saved.status_code == 303
    laptop = app.test_client()
    laptop.get(f"/r/{token}")
    page = laptop.get("/respond").text
    assert re.search(r'id="Q01-4" value="4"\s*checked', page)
    assert re.search(r'id="Q02-9" value="9"\s*checked', page)
    done = laptop.post("/respond", data={"s": "0", "action": "submit_anyway", "Q03": "2"})
    assert done.headers["Location"] == "/respond/done"
    with app.app_context():
        assert db.session.scalar(select(Response.answers)) == {"Q01": 4, "Q02": 9, "Q03": 2}
        assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0


def test_second_submit_with_same_link_is_refused_and_stores_nothing(round_app):
    app, round_id = round_app
    token = _link(app, round_id)
    first, second = app.test_client(), app.test_client()
    first.get(f"/r/{token}")
    second.get(f"/r/{token}")
    assert (
        first.post("/respond", data={"s": "0", "action": "submit", **answers(4)}).status_code == 303
    )
    replay = second.post("/respond", data={"s": "0", "action": "submit", **answers(1)})
    assert replay.status_code == 409
    assert "Câu trả lời đã được gửi trước đó" in replay.text
    assert "Your answers have already been submitted" in replay.text
    again = first.post("/respond", data={"s": "0", "action": "submit", **answers(1)})
    assert again.status_code == 409
    assert app.test_client().get(f"/r/{token}").status_code == 409
    assert _count(app, Response) == 1
    with app.app_context():
        assert db.session.scalar(select(Response.answers)) == {k: 4 for k in answers(4)}


def test_saving_after_the_link_was_used_leaves_no_draft(sqlite_round):
    app, round_id = sqlite_round
    token = _link(app, round_id)
    late, first = app.test_client(), app.test_client()
    late.get(f"/r/{token}")
    first.get(f"/r/{token}")
    first.post("/respond", data={"s": "0", "action": "submit", **answers()})
    refused = late.post("/respond", data={"s": "0", "action": "save", "Q01": "4"})
    assert refused.status_code == 409
    assert _count(app, ResponseDraft) == 0


def test_empty_submission_is_refused_and_keeps_the_link(sqlite_round):
    app, round_id = sqlite_round
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    refused = client.post("/respond", data={"s": "0", "action": "submit"})
    assert refused.status_code == 303
    assert "Vui lòng trả lời ít nhất một câu hỏi" in client.get("/respond").text
    assert _count(app, Response) == 0


def test_unknown_revoked_and_closed_links_get_clear_pages_in_both_languages(round_app):
    app, round_id = round_app
    tokens = _link_many(app, round_id, 2)
    unknown = app.test_client().get("/r/" + "x" * 32)
    assert unknown.status_code == 404
    assert "Đường dẫn không hợp lệ" in unknown.text and "This link is not valid" in unknown.text
    with app.app_context():
        from survey_app.invitations.operations import revoke_invitation
        from survey_app.rounds.operations import close_round

        revoke_invitation(db.session.scalar(select(Invitation).order_by(Invitation.id)))
        db.session.commit()
        revoked = app.test_client().get(f"/r/{tokens[0]}")
        assert revoked.status_code == 410 and "withdrawn" in revoked.text
        close_round(db.session.get(Round, round_id))
        db.session.commit()
    closed = app.test_client().get(f"/r/{tokens[1]}")
    assert closed.status_code == 410
    assert "Đợt khảo sát đã kết thúc" in closed.text and "This survey is closed" in closed.text


def test_a_session_opened_before_the_round_closed_cannot_submit(sqlite_round):
    app, round_id = sqlite_round
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    with app.app_context():
        from survey_app.rounds.operations import close_round

        close_round(db.session.get(Round, round_id))
        db.session.commit()
    late = client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    assert late.status_code == 410
    assert _count(app, Response) == 0
    with app.app_context():
        assert db.session.scalar(select(Invitation.is_used)) is False


def test_reissued_link_voids_the_old_link_and_its_sessions(sqlite_round, monkeypatch):
    """At once for the old link and for anything an old session writes; its form page
    itself goes once the reading made when the link was opened is no longer trusted
    (``BLANK_FOR_SECONDS``, set to 0 here)."""
    app, round_id = sqlite_round
    old = _link(app, round_id)
    client, other = app.test_client(), app.test_client()
    client.get(f"/r/{old}")
    other.get(f"/r/{old}")
    with app.app_context():
        from survey_app.invitations.operations import reissue_round_links

        [(_, new)] = reissue_round_links(db.session.get(Round, round_id))
        db.session.commit()
    assert app.test_client().get(f"/r/{old}").status_code == 404
    refused = other.post("/respond", data={"s": "0", "action": "submit", **answers()})
    assert refused.status_code == 404 and _count(app, Response) == 0
    monkeypatch.setattr("survey_app.responses.entries.BLANK_FOR_SECONDS", 0)
    assert client.get("/respond").status_code == 404
    fresh = app.test_client()
    fresh.get(f"/r/{new}")
    assert (
        fresh.post("/respond", data={"s": "0", "action": "submit", **answers()}).status_code == 303
    )


def test_english_is_one_click_away_and_sticks(sqlite_round):
    app, round_id = sqlite_round
    client = app.test_client()
    opened = client.get(f"/r/{_link(app, round_id)}?lang=en")
    assert 'lang="en"' in opened.text and "Very good" in opened.text
    page = client.get("/respond?lang=en")
    assert 'lang="en"' in page.text and "Very good" in page.text
    assert "Submit answers" in client.get("/respond").text


def _link_many(app, round_id, n):
    lines = "".join(f"p{i}@x.vn,P{i},official,C02,C02-official,C02-D1,M\n" for i in range(n))
    with app.app_context():
        return invite(round_id, RESPONDENTS_HEADER + lines)


# -- the page as KoboToolbox/Enketo and LimeSurvey users know it (issue 14) ---------------

INTRO = """intro:
  purpose:
    vi: "Khảo sát giúp Bộ đo mức độ hài lòng với cải cách hành chính."
    en: "The survey helps the ministry measure satisfaction with reform."
  organisation:
    vi: "Vụ Pháp chế, Bộ Thông tin và Truyền thông"
    en: "Legal Department, Ministry of Information and Communications"
  minutes: 8
  contact: "phapche@mic.gov.vn, 024 3943 0000"
  anonymity: {vi: "Không ai biết Quý vị trả lời gì.", en: "No one knows what you answered."}
"""


def _two_page_round(app, *, intro: str = INTRO) -> int:
    """The example questionnaire as two pages (Q01–Q06, Q07–Q12), with an introduction."""
    from tests.conftest import EXAMPLES
    from tests.rounds.conftest import make_round

    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    text = text.replace("code: MIC-XHH-2018", "code: MIC-XHH-2018-P2", 1)
    text = text.replace("sections:\n", intro + "sections:\n", 1)
    second = '  - title: {vi: "Tổ chức bộ máy", en: "Organisation"}\n    items:\n'
    text = text.replace("      - {code: Q07", second + "      - {code: Q07", 1)
    with app.app_context():
        from survey_app.formats.questionnaire_yaml import parse_questionnaire
        from survey_app.questionnaires.operations import import_questionnaire

        import_questionnaire(parse_questionnaire(text, "q2.yaml"), "q2.yaml")
        round_id = make_round(questionnaire="MIC-XHH-2018-P2")
        db.session.commit()
    return round_id


def test_the_first_page_introduces_the_survey_from_the_questionnaire(sqlite_round):
    app, _ = sqlite_round
    round_id = _two_page_round(app)
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.get("/respond").text
    for text in (
        "Khảo sát giúp Bộ đo mức độ hài lòng",
        "Đơn vị thực hiện",
        "Vụ Pháp chế, Bộ Thông tin và Truyền thông",
        "12 câu hỏi, 2 trang, khoảng 8 phút",
        "phapche@mic.gov.vn, 024 3943 0000",
        "Không ai biết Quý vị trả lời gì.",
    ):
        assert text in page, text
    assert page.index("respond-intro") < page.index('id="Q01-legend"')
    english = client.get("/respond?lang=en").text
    assert "Legal Department, Ministry of Information" in english
    assert "12 questions, 2 pages, about 8 minutes" in english
    assert "No one knows what you answered." in english
    assert client.post("/respond", data={"s": "0", "action": "next"}).status_code == 303
    assert "respond-intro" not in client.get("/respond?s=1").text


def test_without_an_intro_the_page_states_the_standard_anonymity_promise(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.get("/respond").text
    assert "Câu trả lời được lưu không kèm tên hay địa chỉ của Quý vị" in page
    assert "12 câu hỏi" in page and "Đơn vị thực hiện" not in page


def test_questions_are_numbered_across_pages_with_an_accessible_progress(sqlite_round):
    app, _ = sqlite_round
    round_id = _two_page_round(app)
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    first = client.get("/respond").text
    assert "Trang 1 / 2" in first
    assert re.search(r'<progress max="2" value="1" aria-labelledby="respond-progress-label"', first)
    assert 'id="respond-progress-label"' in first
    assert '<span class="qnum">Câu 1</span>' in first and "Câu 6</span>" in first
    assert "Câu 7</span>" not in first and "Đánh giá về đơn vị" in first
    client.post("/respond", data={"s": "0", "action": "next", "Q01": "4"})
    second = client.get("/respond?s=1").text
    assert "Trang 2 / 2" in second and '<progress max="2" value="2"' in second
    assert "Câu 7</span>" in second and "Câu 12</span>" in second and "Tổ chức bộ máy" in second


def test_the_respondent_sees_no_staff_menu_sign_in_or_footer_note(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.get("/respond").text
    header = page[page.index("<header") : page.index("</header>")]
    assert "Phiếu điều tra xã hội học về kết quả cải cách hành chính năm 2018" in header
    assert "Đăng nhập" not in page and "/login" not in page and "site-menu" not in page
    assert "<footer" not in page and "Sai số chọn mẫu" not in page
    assert 'href="?lang=en"' in header
    for state_page in (client.get("/r/" + "x" * 32).text,):
        assert "Đăng nhập" not in state_page and "<footer" not in state_page


def test_enter_cannot_submit_the_form_its_default_button_changes_nothing(round_app):
    """Implicit submission (Enter in a field or on a radio) "clicks" the form's first
    submit button: action=stay, answered 204 No Content, so the browser keeps the page
    and nothing is stored (the real key press: test_browser.py)."""
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.get("/respond").text
    form = page[page.index("<form") :]
    first_button = re.search(r"<button[^>]*>", form)[0]
    assert 'type="submit"' in first_button and 'name="action" value="stay"' in first_button
    assert 'aria-hidden="true"' in first_button and 'tabindex="-1"' in first_button
    pressed = client.post("/respond", data={"s": "0", "action": "stay", **answers(4)})
    assert pressed.status_code == 204 and pressed.text == ""
    assert _count(app, Response) == 0 and _count(app, ResponseDraft) == 0
    assert " checked" not in client.get("/respond").text


def test_a_partial_submission_shows_a_review_and_needs_the_second_action(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    first = client.post("/respond", data={"s": "0", "action": "submit", "Q01": "4", "Q02": "3"})
    assert first.status_code == 303 and first.headers["Location"] == "/respond?s=0&review=1"
    assert _count(app, Response) == 0
    review = client.get(first.headers["Location"]).text
    box = review[
        review.index('class="review-summary"') : review.index(
            "</div>", review.index("review-summary")
        )
    ]
    assert 'role="alert"' in box and 'tabindex="-1"' in box and "data-autofocus" in box
    assert "Còn 10 câu hỏi chưa được trả lời" in box
    assert '<a href="#Q03-legend">Câu 3: Văn bản do đơn vị chủ trì soạn thảo' in box
    assert "#Q01-legend" not in box and "#Q12-legend" in box
    assert "Gửi mà không trả lời các câu này" in box
    assert re.search(r'id="Q01-4" value="4"\s*checked', review)  # what was chosen is kept
    again = client.post("/respond", data={"s": "0", "action": "submit", "Q01": "4", "Q02": "3"})
    assert again.headers["Location"] == "/respond?s=0&review=1" and _count(app, Response) == 0
    done = client.post(
        "/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4", "Q02": "3", "Q05": "1"}
    )
    assert done.headers["Location"] == "/respond/done"
    with app.app_context():
        assert db.session.scalar(select(Response.answers)) == {"Q01": 4, "Q02": 3, "Q05": 1}


def test_the_review_links_to_unanswered_questions_on_earlier_pages(sqlite_round):
    app, _ = sqlite_round
    round_id = _two_page_round(app)
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    client.post("/respond", data={"s": "0", "action": "next", **answers(4, ["Q01", "Q02"])})
    last = {"s": "1", **answers(3, [f"Q{i:02d}" for i in range(7, 13)])}
    review = client.post("/respond", data={**last, "action": "submit"})
    assert review.headers["Location"] == "/respond?s=1&review=1"
    page = client.get(review.headers["Location"]).text
    assert '<a href="/respond?s=0#Q03-legend">Câu 3:' in page
    assert "Còn 4 câu hỏi chưa được trả lời" in page
    assert client.post("/respond", data={**last, "action": "submit_anyway"}).status_code == 303
    with app.app_context():
        assert len(db.session.scalar(select(Response.answers))) == 8


def test_a_complete_submission_needs_no_review(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    done = client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    assert done.headers["Location"] == "/respond/done"


def test_errors_are_announced_and_take_focus_with_links_to_each_field(sqlite_round):
    app, round_id = sqlite_round
    with app.app_context():
        from survey_app.questionnaires.models import Item

        for item in db.session.scalars(select(Item).where(Item.code.in_(["Q02", "Q03"]))):
            item.is_required = True
        db.session.commit()
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    page = client.post("/respond", data={"s": "0", "action": "submit", "Q01": "4"}).text
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "data-autofocus" in summary
    assert '<a href="#Q02-4">Câu 2: Kế hoạch cải cách hành chính' in summary
    assert '<a href="#Q03-4">Câu 3:' in summary
    assert _count(app, Response) == 0


def test_the_thank_you_page_says_what_happens_next_in_both_languages(round_app):
    app, round_id = round_app
    client = app.test_client()
    client.get(f"/r/{_link(app, round_id)}")
    client.post("/respond", data={"s": "0", "action": "submit", **answers()})
    page = client.get("/respond/done").text
    assert "Ban tổ chức tổng hợp kết quả" in page and "công bố" in page
    assert "Câu trả lời của Quý vị là ẩn danh" in page
    assert "có thể đóng trang này" in page
    assert "publish them as totals" in page and "you can close this page" in page
    assert "Đăng nhập" not in page and "<footer" not in page
