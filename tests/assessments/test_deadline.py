"""The self-assessment deadline: drafts and submission close with it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from survey_app.assessments.models import SelfAssessment
from survey_app.assessments.rules import deadline_passed, self_deadline
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.rounds.models import Round


def _states(world) -> set[str]:
    with world.app.app_context():
        return set(db.session.scalars(select(SelfAssessment.state)))


def test_submit_after_the_deadline_is_refused_and_the_draft_stays_a_draft(world):
    focal = world.client("focal")
    assert focal.post(world.sheet_url(), data=world.full_sheet(action="save")).status_code == 302
    admin = world.client("admin")
    url = f"/assessments/rounds/{world.round_id}/deadline"
    # typed in the ministry's time (UTC+7), day first; stored in UTC
    set_ = admin.post(url, data={"deadline": "01/01/2020 07:00", "reason": "đóng sớm"})
    assert set_.status_code == 302
    late = focal.post(
        world.sheet_url(), data=world.full_sheet(action="submit"), follow_redirects=True
    )
    assert "Đã quá hạn; không thể gửi điểm tự đánh giá nữa." in late.text
    assert _states(world) == {"draft"}
    late_edit = focal.post(
        world.sheet_url(), data=world.full_sheet(points=1, action="save"), follow_redirects=True
    )
    assert "Điểm tự đánh giá đã bị khóa" in late_edit.text
    with world.app.app_context():
        assert set(db.session.scalars(select(SelfAssessment.self_points))) != {1.0}
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "round.self_deadline")
        )
        assert entry.new == {"self_deadline_at": "2020-01-01T00:00:00+00:00"}
        assert entry.reason == "đóng sớm" and entry.actor == "admin@x.vn"


def test_submit_before_the_deadline_is_accepted(world):
    focal = world.client("focal")
    with world.app.app_context():
        rnd = db.session.get(Round, world.round_id)
        rnd.self_deadline_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        db.session.commit()
    assert focal.post(world.sheet_url(), data=world.full_sheet(action="submit")).status_code == 302
    assert _states(world) == {"submitted"}


def test_incomplete_self_assessment_cannot_be_submitted(world):
    focal = world.client("focal")
    first = world.subs["1.1.1"][0]
    data = world.full_sheet(action="submit", **{f"points_{first}": ""})
    page = focal.post(world.sheet_url(), data=data, follow_redirects=True)
    assert "Cần chấm điểm mọi tiêu chí thành phần trước khi gửi: 1.1.1." in page.text
    assert _states(world) == {"draft"}


def test_without_its_own_deadline_a_round_uses_the_end_of_the_survey_window():
    now = dt.datetime.now(dt.UTC)
    closes = now - dt.timedelta(minutes=1)
    rnd = SimpleNamespace(self_deadline_at=None, closes_at=closes)
    assert self_deadline(rnd) == closes and deadline_passed(rnd, now)
    rnd.self_deadline_at = now + dt.timedelta(days=1)
    assert not deadline_passed(rnd, now)
    assert not deadline_passed(SimpleNamespace(self_deadline_at=None, closes_at=None), now)
