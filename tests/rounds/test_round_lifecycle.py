"""A round in the browser: created with checkboxes and local times, shown in tabs, closed,
reopened and extended through confirmation pages and forms, each change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey_app.accounts.operations import create_user
from survey_app.core.models import AuditEntry, Job
from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from tests.rounds.conftest import RESPONDENTS_HEADER, invite, load_examples, make_round

PASSWORD = "correct horse battery"
CONFIRMED = {"confirmed": "1"}
UTC = dt.UTC


@pytest.fixture
def site(sqlite_app):
    """(app, admin client, viewer client) over the example questionnaire and criteria sets."""
    with sqlite_app.app_context():
        load_examples()
        create_user("admin@x.vn", "admin", PASSWORD)
        create_user("viewer@x.vn", "viewer", PASSWORD)
        db.session.commit()
    clients = []
    for email in ("admin@x.vn", "viewer@x.vn"):
        client = sqlite_app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        clients.append(client)
    return sqlite_app, *clients


def _open_round_with(app, lines: list[str]) -> tuple[int, list[str]]:
    with app.app_context():
        round_id = make_round()
        db.session.commit()
        return round_id, invite(round_id, RESPONDENTS_HEADER + "".join(lines))


PEOPLE = [
    "an@x.vn,An,leader,C01,C01-leader,D1,F\n",
    "binh@x.vn,Bình,official,C01,C01-official,D1,M\n",
    ",Chi,official,C01,C01-official,D1,F\n",
]


def _round(app, round_id: int) -> Round:
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        db.session.expunge(rnd)
        return rnd


def _actions(app, round_id: int) -> list[AuditEntry]:
    with app.app_context():
        stmt = select(AuditEntry).where(AuditEntry.round_id == round_id).order_by(AuditEntry.id)
        entries = list(db.session.scalars(stmt))
        for e in entries:
            db.session.expunge(e)
        return entries


def _local(value: dt.datetime) -> str:
    """A UTC time as typed in Hanoi (UTC+7): day first, as the date-time fields show it."""
    return (value + dt.timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")


def test_a_round_is_created_with_checkboxes_and_times_typed_in_vietnam_time(site):
    app, admin, _viewer = site
    page = admin.get("/admin/rounds/new").text
    assert page.count('name="criteria_sets" type="checkbox"') == 2 and "<select" not in page
    assert "(MIC-CUC-2018)" in page and 'name="questionnaire" required type="radio"' in page
    assert "giờ Việt Nam, UTC+7" in page and 'type="datetime-local"' not in page
    # a text field read day first (a browser's own date field would show mm/dd/yyyy in en-US)
    assert 'class="datetime"' in page and "Ngày/tháng/năm giờ:phút, ví dụ" in page
    created = admin.post(
        "/admin/rounds/new",
        data={
            "name": "CCHC 2030",
            "criteria_sets": ["MIC-CUC-2018", "MIC-VU-2018"],
            "questionnaire": "MIC-XHH-2018",
            "opens": "01/06/2998 08:00",
            "closes": "2999-01-01T17:30",  # ISO 8601 is read too
        },
    )
    assert created.status_code == 303
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.name == "CCHC 2030"))
        assert rnd.opens_at == dt.datetime(2998, 6, 1, 1, 0, tzinfo=UTC)
        assert rnd.closes_at == dt.datetime(2999, 1, 1, 10, 30, tzinfo=UTC)
        assert [cs.code for cs in rnd.criteria_sets] == ["MIC-CUC-2018", "MIC-VU-2018"]
        assert rnd.frame == []  # the sampling frame is optional
    overview = admin.get(created.headers["Location"]).text
    assert "01/06/2998 08:00 (UTC+7)" in overview


def test_a_refused_round_form_lists_the_problems_and_keeps_what_was_typed(site):
    app, admin, _viewer = site
    refused = admin.post(
        "/admin/rounds/new",
        data={
            "name": "CCHC sai",
            "questionnaire": "MIC-XHH-2018",
            "opens": "2999-01-02T08:00",
            "closes": "2999-01-01T08:00",
        },
    )
    assert refused.status_code == 400
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Hãy chọn ít nhất một bộ tiêu chí." in summary
    assert "Thời điểm đóng phải sau thời điểm mở." in summary
    assert 'href="#criteria_sets"' in summary and 'href="#closes"' in summary
    assert 'value="CCHC sai"' in refused.text and 'value="2999-01-02T08:00"' in refused.text
    assert '<input checked id="questionnaire-0"' in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_the_round_page_is_split_into_tabs_and_shows_group_names(site):
    app, admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    tabs = {
        "": "Tổng quan và tiến độ",
        "/invitations": "Lời mời",
        "/responses": "Phiếu trả lời từ kênh khác",
        "/open-links": "Đường dẫn mở",
        "/settings": "Thời gian và lịch sử",
    }
    for path, label in tabs.items():
        page = admin.get(f"/admin/rounds/{round_id}{path}")
        assert page.status_code == 200, path
        assert f'aria-current="page">{label}</a>' in page.text, path
        assert page.text.count('aria-current="page"') == 2  # the header menu and the tab
    overview = admin.get(f"/admin/rounds/{round_id}").text
    assert "<td>Lãnh đạo</td>" in overview and "<td>leader</td>" not in overview
    assert "Tỷ lệ phản hồi" in overview and "3 người chưa trả lời." in overview
    assert "Đóng đợt khảo sát…" in overview
    assert '<button type="submit" class="danger"' not in overview


def test_closing_is_confirmed_with_the_number_who_can_no_longer_answer(site):
    app, admin, _viewer = site
    round_id, tokens = _open_round_with(app, PEOPLE)
    respondent = app.test_client()
    respondent.get(f"/r/{tokens[0]}")
    respondent.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    page = admin.get(f"/admin/rounds/{round_id}/close")
    assert page.status_code == 200
    assert "2 người chưa trả lời sẽ không thể trả lời nữa." in page.text
    assert page.text.count('class="danger"') == 1 and "Quay lại" in page.text
    old_one_click = admin.post(f"/admin/rounds/{round_id}/close")
    assert old_one_click.status_code == 200 and "không thể trả lời nữa" in old_one_click.text
    assert _round(app, round_id).state == "open"
    done = admin.post(f"/admin/rounds/{round_id}/close", data=CONFIRMED)
    assert done.status_code == 303
    assert _round(app, round_id).state == "closed"
    [entry] = [e for e in _actions(app, round_id) if e.action == "round.close"]
    assert entry.actor == "admin@x.vn"


def test_sending_to_everyone_is_confirmed_with_the_number_of_letters(site):
    app, admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    invitations = admin.get(f"/admin/rounds/{round_id}/send")
    assert "Sẽ gửi 2 lời mời." in invitations.text  # the third person has no address
    assert "Gửi 2 lời mời" in invitations.text
    no_one = admin.get(f"/admin/rounds/{round_id}/remind", follow_redirects=True)
    assert "Không còn ai để gửi e-mail" in no_one.text  # no reminder before any invitation
    assert admin.post(f"/admin/rounds/{round_id}/send").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert admin.post(f"/admin/rounds/{round_id}/send", data=CONFIRMED).status_code == 303
    with app.app_context():
        assert list(db.session.scalars(select(Job.task))) == ["parindex.send_invitations"]
    [entry] = [e for e in _actions(app, round_id) if e.action == "round.send_invitations"]
    assert entry.actor == "admin@x.vn" and entry.new == {"count": 2}


def test_withdrawing_a_link_is_confirmed_first(site):
    app, admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    asked = admin.post(f"/admin/rounds/{round_id}/revoke", data={"who": "binh@x.vn"})
    assert asked.status_code == 200
    assert "1 đường dẫn sẽ bị thu hồi: binh@x.vn (C01, Công chức)." in asked.text
    assert 'readonly required type="text" value="binh@x.vn"' in asked.text  # who it is, unchanged
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Invitation.is_revoked)) == 0
    done = admin.post(f"/admin/rounds/{round_id}/revoke", data={"who": "binh@x.vn", **CONFIRMED})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Invitation.email).where(Invitation.is_revoked)) == (
            "binh@x.vn"
        )


def test_a_reopened_round_lets_people_who_had_not_answered_answer_with_their_link(site):
    app, admin, _viewer = site
    round_id, tokens = _open_round_with(app, PEOPLE)
    admin.post(f"/admin/rounds/{round_id}/close", data=CONFIRMED)
    respondent = app.test_client()
    assert respondent.get(f"/r/{tokens[1]}").status_code == 410  # closed
    new_close = (dt.datetime.now(UTC) + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    settings = admin.get(f"/admin/rounds/{round_id}/settings").text
    assert "Mở lại đợt khảo sát" in settings and "giờ Việt Nam, UTC+7" in settings
    reopened = admin.post(f"/admin/rounds/{round_id}/reopen", data={"closes": _local(new_close)})
    assert reopened.status_code == 303
    rnd = _round(app, round_id)
    assert rnd.state == "open" and rnd.closes_at == new_close and rnd.closed_at is None
    assert respondent.get(f"/r/{tokens[1]}").status_code == 200  # the same link, to the form
    answer = {"s": "0", "action": "submit", **{f"Q{i:02d}": "3" for i in range(1, 13)}}
    assert respondent.post("/respond", data=answer).status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    [entry] = [e for e in _actions(app, round_id) if e.action == "round.reopen"]
    assert entry.actor == "admin@x.vn" and entry.new["closes_at"] == new_close.isoformat()
    history = admin.get(f"/admin/rounds/{round_id}/settings").text
    assert "Mở lại đợt khảo sát" in history and "Đóng đợt khảo sát" in history


def test_an_open_round_closing_time_is_extended_only_later_and_in_the_future(site):
    app, admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    first = (dt.datetime.now(UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    later = first + dt.timedelta(days=4)
    url = f"/admin/rounds/{round_id}/extend"
    assert admin.post(url, data={"closes": _local(first)}).status_code == 303
    assert admin.post(url, data={"closes": _local(later)}).status_code == 303
    assert _round(app, round_id).closes_at == later
    assert "còn 7 ngày" in admin.get(f"/admin/rounds/{round_id}").text
    earlier = admin.post(url, data={"closes": _local(first)})
    assert earlier.status_code == 400
    assert "thời điểm đóng mới phải muộn hơn thời điểm đóng hiện tại" in earlier.text
    past = admin.post(url, data={"closes": "2001-01-01T08:00"})
    assert past.status_code == 400 and "Thời điểm đóng phải sau thời điểm hiện tại." in past.text
    assert 'value="2001-01-01T08:00"' in past.text
    assert _round(app, round_id).closes_at == later
    extended = [e for e in _actions(app, round_id) if e.action == "round.extend"]
    assert [e.new["closes_at"] for e in extended] == [first.isoformat(), later.isoformat()]


def test_reopen_and_extend_refuse_the_wrong_states(site):
    from survey_app.rounds.operations import RoundError, extend_round, reopen_round

    app, _admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    future = dt.datetime.now(UTC) + dt.timedelta(days=2)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        with pytest.raises(RoundError, match="only a closed round can be reopened"):
            reopen_round(rnd, future)
        rnd.state = "published"
        with pytest.raises(RoundError, match="withdraw the publication"):
            reopen_round(rnd, future)
        with pytest.raises(RoundError, match="only an open round"):
            extend_round(rnd, future)


def test_other_roles_cannot_close_reopen_extend_or_send(site):
    app, admin, viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    later = _local(dt.datetime.now(UTC) + dt.timedelta(days=9))
    anonymous = app.test_client()
    for path, data in (
        ("close", CONFIRMED),
        ("send", CONFIRMED),
        ("remind", CONFIRMED),
        ("extend", {"closes": later}),
        ("reopen", {"closes": later}),
        ("revoke", {"who": "an@x.vn", **CONFIRMED}),
    ):
        assert viewer.get(f"/admin/rounds/{round_id}/settings").status_code == 403
        assert viewer.post(f"/admin/rounds/{round_id}/{path}", data=data).status_code == 403
        assert anonymous.post(f"/admin/rounds/{round_id}/{path}", data=data).status_code == 302
    rnd = _round(app, round_id)
    assert rnd.state == "open" and rnd.closes_at is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
        assert db.session.scalar(select(func.count()).where(Invitation.is_revoked)) == 0


def test_the_cli_reopens_and_extends_a_round(site, cli):
    app, _admin, _viewer = site
    round_id, _tokens = _open_round_with(app, PEOPLE)
    assert cli("rounds", "close", round_id).exit_code == 0
    refused = cli("rounds", "reopen", round_id, "--closes", "2001-01-01T00:00")
    assert refused.exit_code == 1 and "must be in the future" in refused.output
    assert _round(app, round_id).state == "closed"
    done = cli("rounds", "reopen", round_id, "--closes", "2999-01-01T00:00+07:00")
    assert done.exit_code == 0, done.output
    rnd = _round(app, round_id)
    assert rnd.state == "open" and rnd.closes_at == dt.datetime(2998, 12, 31, 17, tzinfo=UTC)
    assert cli("rounds", "extend", round_id, "--closes", "2999-06-01T00:00").exit_code == 0
    assert _round(app, round_id).closes_at == dt.datetime(2999, 6, 1, tzinfo=UTC)
    assert [e.action for e in _actions(app, round_id)][-3:] == [
        "round.close",
        "round.reopen",
        "round.extend",
    ]
