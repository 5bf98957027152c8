"""The whole workflow through the web: draft, submit, appraisal rounds 1 and 2, explanation."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey_app.assessments.models import BonusPenalty, SelfAssessment
from survey_app.core.models import AuditEntry
from survey_app.extensions import db

PDF = b"%PDF-1.4\n% evidence\n"


def _scores(world) -> dict[str, SelfAssessment]:
    with world.app.app_context():
        rows = db.session.scalars(
            select(SelfAssessment).where(SelfAssessment.unit_id == world.units["C01"])
        )
        return {sa.subcriterion.code: sa for sa in rows}


def _audit(world, action: str) -> list[AuditEntry]:
    with world.app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_self_assessment_two_appraisal_rounds_and_explanation_end_to_end(any_world):
    world = any_world
    focal, appraiser = world.client("focal"), world.client("appraiser")
    sid = world.subs["1.1.1"][0]

    # Draft with an invalid score: refused with a clear message, nothing saved.
    bad = focal.post(world.sheet_url(), data=world.full_sheet(**{f"points_{sid}": "2.555"}))
    assert bad.status_code == 400 and "Dùng tối đa hai chữ số thập phân" in bad.text
    assert _scores(world) == {}
    draft = world.full_sheet(**{f"points_{sid}": "2,5", "action": "save"})
    assert focal.post(world.sheet_url(), data=draft).status_code == 302
    scores = _scores(world)
    assert scores["1.1.1"].self_points == 2.5 and scores["1.1.1"].state == "draft"
    # the draft comes back as the page writes numbers (vi 2,5; en 2.5), and reads back
    for lang, shown in (("vi", "2,5"), ("en", "2.5")):
        sheet = focal.get(world.sheet_url() + f"?lang={lang}").text
        assert re.search(f'<input[^>]* name="points_{sid}"[^>]* value="{shown}"', sheet)
    item = f"/assessments/items/{scores['1.1.1'].id}"
    upload = {"file": (__import__("io").BytesIO(PDF), "quyết định.pdf")}
    assert focal.post(f"{item}/evidence", data=upload).status_code == 302

    # Submit: every score locked.
    assert focal.post(world.sheet_url(), data=draft | {"action": "submit"}).status_code == 302
    assert {sa.state for sa in _scores(world).values()} == {"submitted"}
    again = focal.post(world.sheet_url(), data=world.full_sheet(points=0, action="save"))
    assert again.status_code == 302 and _scores(world)["1.1.2"].self_points == 3.0

    # Round 1: an adjustment without a reason is refused; with one it counts.
    no_reason = appraiser.post(f"{item}/appraise", data={"r1-points": "2", "r1-reason": ""})
    assert no_reason.status_code == 400 and "Cần nêu lý do" in no_reason.text
    cut = {"r1-points": "2", "r1-reason": "Thiếu văn bản chỉ đạo"}
    assert appraiser.post(f"{item}/appraise", data=cut).status_code == 302
    other = f"/assessments/items/{scores['1.1.2'].id}"
    assert appraiser.post(f"{other}/appraise", data={"r1-points": "3"}).status_code == 302
    after = _scores(world)
    assert (after["1.1.1"].appraised_points, after["1.1.1"].state) == (2.0, "appraised")
    assert after["1.1.2"].appraised_points == 3.0

    # The unit explains the adjustment (an accepted score cannot be explained) and adds evidence.
    assert focal.post(f"{other}/explain", data={"text": "?"}).status_code == 400
    assert focal.post(f"{item}/explain", data={"text": "Có văn bản số 12"}).status_code == 302
    more = {"file": (__import__("io").BytesIO(PDF), "van-ban-12.pdf")}
    assert focal.post(f"{item}/evidence", data=more).status_code == 302
    assert _scores(world)["1.1.1"].state == "explained"
    # Round 1 is closed once explained.
    assert (
        appraiser.post(f"{item}/appraise", data={"r1-points": "1", "r1-reason": "x"}).status_code
        == 400
    )

    # Round 2 decides; a change from round 1 needs a reason.
    assert appraiser.post(f"{item}/decide", data={"r2-points": "2.5"}).status_code == 400
    final = {"r2-points": "2.5", "r2-reason": "Đã giải trình đủ"}
    assert appraiser.post(f"{item}/decide", data=final).status_code == 302
    sa = _scores(world)["1.1.1"]
    assert (sa.self_points, sa.appraised_points, sa.state) == (2.5, 2.5, "final")
    assert appraiser.post(f"{item}/decide", data=final).status_code == 400

    # The sheet shows self and appraised points side by side, with the difference.
    page = appraiser.get(world.sheet_url() + "?lang=en")
    assert "Appraised" in page.text and "Difference" in page.text

    # The audit trail: who, old → new, reason.
    cut_entry = _audit(world, "assessment.appraise")[0]
    assert cut_entry.actor == "appraiser@x.vn" and cut_entry.reason == "Thiếu văn bản chỉ đạo"
    assert cut_entry.old == {"subcriterion": "1.1.1", "state": "submitted"}
    assert cut_entry.new["self"] == 2.5 and cut_entry.new["appraised"] == 2.0
    decided = _audit(world, "assessment.decide")[0]
    assert decided.old["appraised"] == 2.0 and decided.new["appraised"] == 2.5
    assert decided.reason == "Đã giải trình đủ"
    assert _audit(world, "assessment.explain")[0].actor == "focal.c01@x.vn"
    assert len(_audit(world, "evidence.add")) == 2
    trail = focal.get(f"{item}/audit?lang=en")
    assert "Thiếu văn bản chỉ đạo" in trail.text and "appraised points: 2.00" in trail.text


def test_bonus_and_penalty_stay_within_the_caps_and_need_reasons(world):
    appraiser = world.client("appraiser")
    url = world.sheet_url() + "/bonus-penalty"
    over = appraiser.post(url, data={"bonus": "2.5", "bonus_reason": "x"})
    assert over.status_code == 400 and "tối đa" in over.text.lower()
    no_reason = appraiser.post(url, data={"penalty": "1"})
    assert no_reason.status_code == 400
    ok = {"bonus": "2", "bonus_reason": "Sáng kiến", "penalty": "0,5", "penalty_reason": "Trễ hạn"}
    assert appraiser.post(url, data=ok).status_code == 302
    with world.app.app_context():
        row = db.session.scalar(select(BonusPenalty))
        assert (row.bonus, row.penalty, row.penalty_reason) == (2.0, 0.5, "Trễ hạn")
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "assessment.bonus_penalty")
        )
        assert entry.new == {"bonus": 2.0, "penalty": 0.5} and "Sáng kiến" in entry.reason


def test_an_appraisal_can_be_revised_until_the_unit_explains(world):
    focal, appraiser = world.client("focal"), world.client("appraiser")
    focal.post(world.sheet_url(), data=world.full_sheet(action="submit"))
    item = f"/assessments/items/{_scores(world)['1.1.3'].id}"
    appraiser.post(f"{item}/appraise", data={"r1-points": "1", "r1-reason": "thiếu"})
    revised = appraiser.post(f"{item}/appraise", data={"r1-points": "1.5", "r1-reason": "sửa"})
    assert revised.status_code == 302
    entries = _audit(world, "assessment.appraise")
    assert [e.new["appraised"] for e in entries] == [1.0, 1.5]
    assert entries[1].old["appraised"] == 1.0


def test_round_one_for_a_whole_unit_at_once_needs_a_reason_for_each_adjustment(world):
    focal, appraiser = world.client("focal"), world.client("appraiser")
    focal.post(world.sheet_url(), data=world.full_sheet(action="submit"))
    scores = _scores(world)
    data = {f"points_{sa.id}": f"{sa.self_points:g}" for sa in scores.values()}
    cut = scores["2.1.1"].id
    refused = appraiser.post(world.sheet_url() + "/appraise", data=data | {f"points_{cut}": "1"})
    assert refused.status_code == 400 and "Cần nêu lý do khi thay đổi điểm." in refused.text
    assert {sa.state for sa in _scores(world).values()} == {"submitted"}
    data |= {f"points_{cut}": "1", f"reason_{cut}": "Chưa đạt"}
    assert appraiser.post(world.sheet_url() + "/appraise", data=data).status_code == 302
    after = _scores(world)
    assert {sa.state for sa in after.values()} == {"appraised"}
    assert after["2.1.1"].appraised_points == 1.0 and after["1.1.1"].appraised_points == 3.0
    assert len(_audit(world, "assessment.appraise")) == len(scores)
    appraiser.post(world.sheet_url() + "/appraise", data=data)  # unchanged: nothing logged
    assert len(_audit(world, "assessment.appraise")) == len(scores)


def test_once_the_round_is_published_its_scores_no_longer_change(world):
    """Appraisal, explanation, round 2 and bonus/penalty are refused with a clear message
    (in Vietnamese by default), and nothing changes."""
    from survey_app.rounds.models import Round

    focal, appraiser = world.client("focal"), world.client("appraiser")
    focal.post(world.sheet_url(), data=world.full_sheet(action="submit"))
    scores = _scores(world)
    cut, untouched = (f"/assessments/items/{scores[c].id}" for c in ("1.1.1", "1.1.2"))
    appraiser.post(f"{cut}/appraise", data={"r1-points": "1", "r1-reason": "thiếu"})
    with world.app.app_context():
        db.session.get(Round, world.round_id).state = "published"
        db.session.commit()
    before = {c: (sa.appraised_points, sa.state) for c, sa in _scores(world).items()}
    attempts = [
        (appraiser, f"{untouched}/appraise", {"r1-points": "3"}),
        (focal, f"{cut}/explain", {"text": "Có văn bản"}),
        (appraiser, f"{cut}/decide", {"r2-points": "2", "r2-reason": "đủ"}),
        (appraiser, world.sheet_url() + "/bonus-penalty", {"bonus": "1", "bonus_reason": "x"}),
    ]
    for client, url, data in attempts:
        refused = client.post(url, data=data, follow_redirects=True)
        assert "đã được công bố" in refused.text, url
    after = {c: (sa.appraised_points, sa.state) for c, sa in _scores(world).items()}
    assert after == before
    with world.app.app_context():
        assert db.session.scalar(select(BonusPenalty)) is None
