"""Who may do what: admins run and publish, staff read, the public reads only what is published."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.core.jobs import AGGREGATE_ROUND
from survey_app.core.models import Job
from survey_app.extensions import db
from survey_app.rounds.models import Round
from survey_app.rounds.operations import close_round
from tests.results.conftest import sign_in


def _jobs(app) -> list[Job]:
    with app.app_context():
        return list(db.session.scalars(select(Job).where(Job.task == AGGREGATE_ROUND)))


def test_anonymous_and_focal_points_cannot_see_an_unpublished_round(demo_app):
    anonymous = sign_in(demo_app, None)
    for url in ("/results/1", "/results/1/units/C01", "/results/1/ranking.xlsx"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
    assert "Điều tra" not in anonymous.get("/results/").text  # not even listed
    focal = sign_in(demo_app, "focal")
    assert focal.get("/results/1").status_code == 403
    assert focal.get("/results/1/ranking.csv").status_code == 403


def test_staff_roles_see_unpublished_results(demo_app):
    for role in ("admin", "appraiser", "viewer"):
        client = sign_in(demo_app, role)
        assert client.get("/results/1").status_code == 200, role
        assert client.get("/results/1/units/V01").status_code == 200, role


def test_viewer_cannot_publish_or_request_runs(demo_app):
    with demo_app.app_context():
        close_round(db.session.get(Round, 1))
        db.session.commit()
    viewer = sign_in(demo_app, "viewer")
    assert viewer.post("/results/1/runs", data={"is_final": "y"}).status_code == 403
    assert viewer.post("/results/1/publish", data={"version": 1}).status_code == 403
    assert viewer.get("/results/1/runs").status_code == 403
    assert viewer.get("/results/1/progress").status_code == 403
    assert _jobs(demo_app) == []
    with demo_app.app_context():
        assert db.session.get(Round, 1).state == "closed"


def test_admin_requests_a_run_once_and_follows_its_progress(demo_app):
    admin = sign_in(demo_app, "admin")
    assert admin.post("/results/1/runs", data={}).status_code == 302
    assert admin.post("/results/1/runs", data={}).status_code == 302  # still pending: no twin
    jobs = _jobs(demo_app)
    assert [j.payload for j in jobs] == [{"round_id": 1, "is_final": False}]
    progress = admin.get("/results/1/progress").get_json()
    assert progress["job"] == {"id": jobs[0].id, "state": "pending", "error": None}
    assert progress["finished"] is False and progress["run"]["version"] == 1
    page = admin.get("/results/1/runs").text
    assert 'data-progress-url="/results/1/progress"' in page and "results-progress.js" in page


def test_a_final_run_of_an_open_round_is_refused(demo_app):
    admin = sign_in(demo_app, "admin")
    page = admin.post("/results/1/runs?lang=en", data={"is_final": "y"}, follow_redirects=True)
    assert "A final run needs a closed round." in page.text
    assert _jobs(demo_app) == []


def test_the_admin_may_leave_out_burst_responses_when_asking_for_a_run(demo_app):
    """Open-link responses marked as a burst can be left out of a run from the runs page
    (the checkbox shows only when there are some, with their number)."""
    from sqlalchemy import update

    from survey_app.responses.models import Response

    admin = sign_in(demo_app, "admin")
    assert "exclude_bursts" not in admin.get("/results/1/runs").text  # none marked yet
    with demo_app.app_context():
        db.session.execute(update(Response).where(Response.id < "1").values(is_burst=True))
        db.session.commit()
    page = admin.get("/results/1/runs?lang=en").text
    assert 'name="exclude_bursts"' in page and "responses marked as a burst" in page
    assert admin.post("/results/1/runs", data={"exclude_bursts": "y"}).status_code == 302
    assert [j.payload for j in _jobs(demo_app)] == [
        {"round_id": 1, "is_final": False, "exclude_bursts": True}
    ]
