"""Publishing is confirmed first; a publication can be withdrawn with a reason and the round
published again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.assessments.appraisals import appraise
from survey_app.assessments.models import SelfAssessment
from survey_app.assessments.rules import AssessmentError
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.results.models import AggregationRun
from survey_app.results.operations import ResultsError, unpublish_round
from survey_app.rounds.models import Round
from survey_app.rounds.operations import close_round
from tests.results.conftest import publish_demo, sign_in
from worker.pipeline import aggregate_round

CONFIRMED = {"confirmed": "1"}


def _final_run(app) -> tuple[int, int]:
    """Close the demo round and compute a final run: (version, units in it)."""
    with app.app_context():
        close_round(db.session.get(Round, 1))
        db.session.commit()
        run = aggregate_round(1, is_final=True)
        return run.version, len(run.unit_results)


def _state(app) -> tuple[str, list[int]]:
    with app.app_context():
        published = select(AggregationRun.version).where(AggregationRun.is_published)
        return db.session.get(Round, 1).state, list(db.session.scalars(published))


def test_publishing_shows_the_run_the_units_and_the_freeze_before_acting(demo_app):
    version, units = _final_run(demo_app)
    admin = sign_in(demo_app, "admin")
    page = admin.get(f"/results/1/publish?version={version}")
    assert page.status_code == 200
    assert f"Lần tính v{version} (chính thức, hoàn thành lúc" in page.text
    assert f"Số liệu của {units} đơn vị sẽ được công khai" in page.text
    assert "Số liệu sẽ được cố định" in page.text
    assert f'action="/results/1/publish?version={version}"' in page.text
    one_click = admin.post("/results/1/publish", data={"version": version})
    assert one_click.status_code == 200 and "Số liệu sẽ được cố định" in one_click.text
    assert _state(demo_app) == ("closed", [])
    done = admin.post(f"/results/1/publish?version={version}", data=CONFIRMED)
    assert done.status_code == 302
    assert _state(demo_app) == ("published", [version])


def test_a_run_that_is_not_a_finished_final_one_gets_no_confirmation(demo_app):
    _final_run(demo_app)
    refused = sign_in(demo_app, "admin").get("/results/1/publish?version=1", follow_redirects=True)
    assert "Hãy chọn một lần tính chính thức đã hoàn thành" in refused.text
    assert _state(demo_app) == ("closed", [])


def test_publish_unpublish_with_a_reason_and_publish_again(demo_app):
    version = publish_demo(demo_app)
    admin, anonymous = sign_in(demo_app, "admin"), sign_in(demo_app, None)
    assert anonymous.get("/api/v1/rounds/1/results").status_code == 200
    page = admin.get("/results/1/unpublish")
    assert f"Số liệu của lần tính v{version}" in page.text and 'name="reason"' in page.text
    no_reason = admin.post("/results/1/unpublish", data={"reason": "  ", **CONFIRMED})
    assert no_reason.status_code == 400 and 'class="error-summary"' in no_reason.text
    assert admin.post("/results/1/unpublish", data={"reason": "sai số liệu"}).status_code == 200
    assert _state(demo_app) == ("published", [version])

    done = admin.post("/results/1/unpublish", data={"reason": "Sai điểm đơn vị C01", **CONFIRMED})
    assert done.status_code == 302
    assert _state(demo_app) == ("closed", [])
    with demo_app.app_context():
        assert db.session.get(Round, 1).published_at is None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.unpublish"))
        assert entry.actor == "admin@x.vn" and entry.reason == "Sai điểm đơn vị C01"
        assert entry.old["run"] == version
    # The public sees the round as never published.
    assert anonymous.get("/results/1").status_code == 302  # to sign-in, as before publication
    assert anonymous.get("/api/v1/rounds/1/results").status_code == 401
    assert anonymous.get("/api/v1/rounds").get_json() == {"rounds": []}
    assert sign_in(demo_app, "focal").get("/results/1").status_code == 403
    history = admin.get("/admin/rounds/1/settings").text
    assert "Thu hồi công bố" in history and "Sai điểm đơn vị C01" in history

    again = admin.post(f"/results/1/publish?version={version}", data=CONFIRMED)
    assert again.status_code == 302
    assert _state(demo_app) == ("published", [version])
    assert anonymous.get("/api/v1/rounds/1/results").get_json()["meta"]["run"] == version


def test_withdrawing_the_publication_lifts_the_freeze_on_scores(demo_app):
    publish_demo(demo_app)
    with demo_app.app_context():
        sa = db.session.scalars(select(SelfAssessment).order_by(SelfAssessment.id)).first()
        with pytest.raises(AssessmentError, match="published"):
            appraise(sa, sa.self_points, None, None)
        unpublish_round(db.session.get(Round, 1), "nhầm lần tính")
        db.session.commit()
        try:
            appraise(sa, sa.self_points, None, None)
        except AssessmentError as exc:  # the workflow may refuse, but not for publication
            assert "published" not in str(exc)


def test_unpublishing_needs_a_published_round_and_a_reason(demo_app):
    with demo_app.app_context():
        rnd = db.session.get(Round, 1)
        with pytest.raises(ResultsError, match="not published"):
            unpublish_round(rnd, "x")
    publish_demo(demo_app)
    with demo_app.app_context():
        with pytest.raises(ResultsError, match="reason"):
            unpublish_round(db.session.get(Round, 1), " ")


def test_only_admins_publish_or_withdraw(demo_app):
    version, _units = _final_run(demo_app)
    for role in ("viewer", "appraiser", "focal"):
        client = sign_in(demo_app, role)
        url = f"/results/1/publish?version={version}"
        assert client.post(url, data=CONFIRMED).status_code == 403
        assert client.get("/results/1/unpublish").status_code == 403
    assert _state(demo_app) == ("closed", [])
    publish_demo_run = sign_in(demo_app, "admin").post(
        f"/results/1/publish?version={version}", data=CONFIRMED
    )
    assert publish_demo_run.status_code == 302
    viewer = sign_in(demo_app, "viewer")
    assert viewer.post("/results/1/unpublish", data={"reason": "x", **CONFIRMED}).status_code == 403
    assert _state(demo_app) == ("published", [version])


def test_the_cli_withdraws_a_publication_with_a_reason(demo_app):
    from click.testing import CliRunner

    from survey_app.cli import main

    publish_demo(demo_app)
    env = {
        "PARINDEX_DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": demo_app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": demo_app.config["SECRET_KEY"],
    }
    missing = CliRunner().invoke(main, ["rounds", "unpublish", "1"], env=env)
    assert missing.exit_code == 2 and "--reason" in missing.output
    done = CliRunner().invoke(
        main, ["rounds", "unpublish", "1", "--reason", "số liệu sai"], env=env
    )
    assert done.exit_code == 0, done.output
    assert _state(demo_app) == ("closed", [])
    again = CliRunner().invoke(main, ["rounds", "unpublish", "1", "--reason", "lại"], env=env)
    assert again.exit_code == 1 and "not published" in again.output
    with demo_app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.unpublish"))
        assert entry.reason == "số liệu sai"
