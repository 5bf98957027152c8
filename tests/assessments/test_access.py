"""Who may read and change what: every route of the feature, with guessed ids.

The routes are read from the URL map, so a route added later is covered too.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from survey_app.assessments.models import (
    Appraisal,
    BonusPenalty,
    Evidence,
    Explanation,
    SelfAssessment,
)
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.rounds.models import Round

PDF = b"%PDF-1.4\n"


def _prepare(world, unit: str, who: str) -> dict[str, int]:
    """``unit`` submits with one evidence file; round 1 cuts one score. Returns its ids."""
    focal = world.client(who)
    focal.post(world.sheet_url(unit), data=world.full_sheet(action="save"))
    with world.app.app_context():
        sa = db.session.scalar(
            select(SelfAssessment)
            .where(SelfAssessment.unit_id == world.units[unit])
            .order_by(SelfAssessment.id)
        )
        sa_id = sa.id
    item = f"/assessments/items/{sa_id}"
    focal.post(f"{item}/evidence", data={"file": (io.BytesIO(PDF), "a.pdf")})
    focal.post(world.sheet_url(unit), data=world.full_sheet(action="submit"))
    world.client("appraiser").post(f"{item}/appraise", data={"r1-points": "1", "r1-reason": "x"})
    with world.app.app_context():
        ev_id = db.session.scalar(select(Evidence.id).where(Evidence.assessment_id == sa_id))
    return {
        "round_id": world.round_id,
        "unit_id": world.units[unit],
        "assessment_id": sa_id,
        "evidence_id": ev_id,
        "fmt": "csv",
    }


def _routes(app, ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route of the feature but the index and static files."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("assessments.") or not rule.arguments:
                continue
            if rule.endpoint == "assessments.static":
                continue
            url = url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
            for method in sorted(rule.methods & {"GET", "POST"}):
                out.append((rule.endpoint, method, url))
    return out


def _payload(world, endpoint: str) -> dict:
    """Data that would change something if the route let it through."""
    data = world.full_sheet(points=0, action="submit") | {
        "r1-points": "0",
        "r1-reason": "guess",
        "r2-points": "0",
        "r2-reason": "guess",
        "text": "guess",
        "bonus": "1",
        "bonus_reason": "guess",
        "penalty": "1",
        "penalty_reason": "guess",
        "deadline": "2020-01-01T00:00",
        "reason": "guess",
    }
    if endpoint.endswith("import_unit") or endpoint.endswith("import_round"):
        body = "unit,subcriterion,self_points,appraised_points,note\nC02,1.1.1,0,,guess\n"
        data["file"] = (io.BytesIO(body.encode()), "x.csv")
    else:
        data["file"] = (io.BytesIO(PDF), "guess.pdf")
    return data


def _snapshot(world) -> str:
    """Everything the feature stores, and the audit entries that are not sign-ins."""
    models = (SelfAssessment, Appraisal, Explanation, Evidence, BonusPenalty)
    with world.app.app_context():
        state = {
            m.__tablename__: [
                {c.name: str(getattr(row, c.key)) for c in m.__table__.columns}
                for row in db.session.scalars(select(m).order_by(m.id))
            ]
            for m in models
        }
        state["deadline"] = str(db.session.get(Round, world.round_id).self_deadline_at)
        state["audit"] = [
            e.id for e in db.session.scalars(select(AuditEntry)) if e.action != "user.login"
        ]
    folder = Path(world.app.instance_path) / "evidence"
    state["files"] = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return json.dumps(state, sort_keys=True)


def _assert_refused_everywhere(world, client, ids, methods=("GET", "POST"), allowed=()):
    before = _snapshot(world)
    checked = 0
    for endpoint, method, url in _routes(world.app, ids):
        if method not in methods or endpoint in allowed:
            continue
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=_payload(world, endpoint))
        assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)
        checked += 1
    assert _snapshot(world) == before
    return checked


def test_a_focal_point_cannot_read_or_change_another_unit_through_any_route(world):
    theirs = _prepare(world, "C02", "other")
    _prepare(world, "C01", "focal")
    checked = _assert_refused_everywhere(world, world.client("focal"), theirs)
    assert checked >= 20


def test_a_focal_point_can_reach_their_own_unit(world):
    mine = _prepare(world, "C01", "focal")
    focal = world.client("focal")
    for url in (
        world.sheet_url("C01"),
        f"/assessments/items/{mine['assessment_id']}",
        f"/assessments/evidence/{mine['evidence_id']}",
        f"/assessments/items/{mine['assessment_id']}/audit.csv",
    ):
        assert focal.get(url).status_code == 200, url


def test_a_viewer_can_change_nothing(world):
    ids = _prepare(world, "C01", "focal")
    viewer = world.client("viewer")
    assert viewer.get(world.sheet_url("C01")).status_code == 200
    assert _assert_refused_everywhere(world, viewer, ids, methods=("POST",)) >= 10


@pytest.mark.parametrize(
    "endpoint",
    [
        "assessments.save_sheet",
        "assessments.import_unit",
        "assessments.upload_evidence",
        "assessments.delete_evidence",
        "assessments.explain_item",
    ],
)
def test_an_appraiser_cannot_edit_the_units_side(world, endpoint):
    ids = _prepare(world, "C01", "focal")
    appraiser = world.client("appraiser")
    before = _snapshot(world)
    [(method, url)] = [
        (m, u) for e, m, u in _routes(world.app, ids) if e == endpoint and m == "POST"
    ]
    response = appraiser.post(url, data=_payload(world, endpoint))
    assert response.status_code == 403
    assert _snapshot(world) == before


def test_a_signed_out_visitor_is_sent_to_sign_in(world):
    ids = _prepare(world, "C01", "focal")
    anonymous = world.app.test_client()
    for _endpoint, method, url in _routes(world.app, ids):
        response = anonymous.get(url) if method == "GET" else anonymous.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
