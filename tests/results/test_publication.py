"""Publication: a closed round's final run becomes public, frozen, once; small groups withheld."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.assessments.models import SelfAssessment
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.results.models import AggregationRun, SubCriterionResult
from survey_app.results.operations import ResultsError, publish_run
from survey_app.rounds.models import Round
from survey_app.rounds.operations import close_round
from tests.results.conftest import publish_demo, sign_in
from worker.pipeline import aggregate_round


def _close_and_run_final(app) -> int:
    with app.app_context():
        close_round(db.session.get(Round, 1))
        db.session.commit()
        return aggregate_round(1, is_final=True).version


def test_admin_publishes_the_chosen_final_run_and_the_round_becomes_public(any_demo_app):
    app = any_demo_app
    assert sign_in(app, None).get("/results/1").status_code == 302  # to sign-in
    version = _close_and_run_final(app)
    response = sign_in(app, "admin").post(
        f"/results/1/publish?version={version}", data={"confirmed": "1"}
    )
    assert response.status_code == 302
    with app.app_context():
        rnd = db.session.get(Round, 1)
        assert rnd.state == "published" and rnd.published_at is not None
        published = db.session.scalars(select(AggregationRun).where(AggregationRun.is_published))
        assert [r.version for r in published] == [version]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.publish"))
        assert entry.actor == "admin@x.vn" and entry.new["run"] == version
    public = sign_in(app, None).get("/results/1?lang=en")
    assert public.status_code == 200 and "Published figures" in public.text


def test_later_runs_never_replace_the_published_figures(demo_app):
    version = publish_demo(demo_app)
    with demo_app.app_context():
        row = db.session.scalars(select(SelfAssessment).order_by(SelfAssessment.id)).first()
        row.appraised_points = 0.0  # an appraisal changed after publication
        db.session.commit()
        later = aggregate_round(1, is_final=True)
        assert later.version == version + 1
    for role in (None, "viewer"):
        doc = sign_in(demo_app, role).get("/api/v1/rounds/1/results").get_json()
        assert doc["meta"]["run"] == version and doc["meta"]["is_published"] is True
    staff = sign_in(demo_app, "viewer").get(f"/api/v1/rounds/1/results?run={version + 1}")
    assert staff.get_json()["meta"]["run"] == version + 1
    assert sign_in(demo_app, None).get(f"/results/1?run={version + 1}").status_code == 200
    anonymous = sign_in(demo_app, None).get(f"/api/v1/rounds/1/results?run={version + 1}")
    assert anonymous.get_json()["meta"]["run"] == version  # the public only sees the frozen run


def test_publishing_twice_is_refused(demo_app):
    version = publish_demo(demo_app)
    with demo_app.app_context():
        rnd = db.session.get(Round, 1)
        with pytest.raises(ResultsError, match="already published"):
            publish_run(rnd, db.session.scalar(select(AggregationRun).filter_by(version=version)))
    response = sign_in(demo_app, "admin").post(
        "/results/1/publish",
        data={"version": version, "confirmed": "1"},
        follow_redirects=True,
    )
    assert "already published" in response.text or "đã được công bố" in response.text


def test_only_a_finished_final_run_of_a_closed_round_can_be_published(demo_app):
    with demo_app.app_context():
        rnd = db.session.get(Round, 1)
        provisional = db.session.scalar(select(AggregationRun).filter_by(version=1))
        with pytest.raises(ResultsError, match="closed round"):
            publish_run(rnd, provisional)
        close_round(rnd)
        with pytest.raises(ResultsError, match="final run"):
            publish_run(rnd, provisional)
        assert rnd.state == "closed" and not provisional.is_published


def test_the_database_refuses_a_second_published_run_of_a_round(any_demo_app):
    with any_demo_app.app_context():
        run = db.session.scalar(select(AggregationRun))
        run.is_published = True
        db.session.add(
            AggregationRun(round_id=1, version=9, state="done", is_published=True, code_version="x")
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def _small_group(app) -> tuple[str, str, str, int]:
    """(unit, sub-criterion, group, n) of a group below the criteria set's minimum of 5."""
    with app.app_context():
        for row in db.session.scalars(select(SubCriterionResult).order_by(SubCriterionResult.id)):
            for group, est in (row.data["groups"] or {}).items():
                if 0 < est["n"] < 5:
                    return row.data["unit"], row.data["subcriterion"], group, est["n"]
    raise AssertionError("the demo has a group below the minimum")


def test_public_views_withhold_the_figures_of_groups_below_the_minimum(demo_app):
    unit, sub, group, n = _small_group(demo_app)
    publish_demo(demo_app)
    public = sign_in(demo_app, None).get(f"/results/1/units/{unit}?lang=en").text
    row = public.split(f"{sub}</span>")[1].split("</tr>")[0]
    assert "Withheld: fewer respondents than the minimum" in row
    assert "fewer than 5 respondents" in public
    doc = sign_in(demo_app, None).get("/api/v1/rounds/1/results").get_json()
    est = next(s for s in doc["subcriteria"] if (s["unit"], s["subcriterion"]) == (unit, sub))
    # n below the minimum is not published either, nor the row's points
    assert est["groups"][group] == {"n": None, "mean": None, "se": None, "suppressed": True}
    assert est["points"] is None and est["suppressed"] is True
    staff = sign_in(demo_app, "viewer").get("/api/v1/rounds/1/results").get_json()
    est = next(s for s in staff["subcriteria"] if (s["unit"], s["subcriterion"]) == (unit, sub))
    assert est["groups"][group]["mean"] is not None and "suppressed" not in est["groups"][group]
    csv_text = sign_in(demo_app, None).get("/results/1/scorecards.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    target = next(r for r in rows if (r["unit"], r["subcriterion"]) == (unit, sub))
    assert target[f"{group}_n"] == "" and target[f"{group}_mean"] == "" and target["points"] == ""
    assert n < 5
