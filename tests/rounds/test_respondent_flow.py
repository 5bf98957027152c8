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
    app, round_id = round_app
    token = _link(app, round_id)
    client = app.test_client()
    opened = client.get(f"/r/{token}")
    assert opened.status_code == 303
    assert opened.headers["Location"] == "/respond"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
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
    done = laptop.post("/respond", data={"s": "0", "action": "submit", "Q03": "2"})
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
    assert "Cuộc khảo sát đã kết thúc" in closed.text and "This survey is closed" in closed.text


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
    monkeypatch.setattr("survey_app.respond.drafts.BLANK_FOR_SECONDS", 0)
    assert client.get("/respond").status_code == 404
    fresh = app.test_client()
    fresh.get(f"/r/{new}")
    assert (
        fresh.post("/respond", data={"s": "0", "action": "submit", **answers()}).status_code == 303
    )


def test_english_is_one_click_away_and_sticks(sqlite_round):
    app, round_id = sqlite_round
    client = app.test_client()
    assert (
        client.get(f"/r/{_link(app, round_id)}?lang=en").headers["Location"] == "/respond?lang=en"
    )
    page = client.get("/respond?lang=en")
    assert 'lang="en"' in page.text and "Very good" in page.text
    assert "Submit answers" in client.get("/respond").text


def _link_many(app, round_id, n):
    lines = "".join(f"p{i}@x.vn,P{i},official,C02,C02-official,C02-D1,M\n" for i in range(n))
    with app.app_context():
        return invite(round_id, RESPONDENTS_HEADER + lines)
