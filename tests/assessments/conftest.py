"""A small world for the assessment tests: one open round, two units' focal points, the council."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from tests.conftest import EXAMPLES

PASSWORD = "correct horse battery"
EMAILS = {
    "admin": "admin@x.vn",
    "appraiser": "appraiser@x.vn",
    "viewer": "viewer@x.vn",
    "focal": "focal.c01@x.vn",
    "other": "focal.c02@x.vn",
}


@dataclass
class World:
    app: object
    round_id: int
    units: dict[str, int]
    #: self sub-criteria of a Cục, code → (id, max points), in the set's order
    subs: dict[str, tuple[int, float]] = field(default_factory=dict)

    def client(self, who: str):
        client = self.app.test_client()
        response = client.post("/login", data={"email": EMAILS[who], "password": PASSWORD})
        assert response.status_code == 302, response.text
        return client

    def sheet_url(self, unit: str = "C01") -> str:
        return f"/assessments/rounds/{self.round_id}/units/{self.units[unit]}"

    def full_sheet(self, points: float | None = None, **overrides) -> dict:
        """Form data scoring every sub-criterion (its maximum unless ``points``)."""
        data = {}
        for code, (sid, maximum) in self.subs.items():
            data[f"points_{sid}"] = str(maximum if points is None else points)
            data[f"note_{sid}"] = f"note {code}"
        data.update(overrides)
        return data


def _text(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def build_world(app) -> World:
    from survey_app.accounts.operations import create_user
    from survey_app.core.db import utcnow
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.extensions import db
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.formats.questionnaire_yaml import parse_questionnaire
    from survey_app.formats.units_csv import parse_units
    from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
    from survey_app.rounds.operations import create_round, open_round
    from survey_app.units.operations import import_units

    with app.app_context():
        import_questionnaire(parse_questionnaire(_text("questionnaire.yaml"), "q.yaml"), "q.yaml")
        for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
            import_criteria_set(parse_criteria_set(_text(name), name, known_item_codes()), name)
        import_units(parse_units(_text("units.csv"), "units.csv"))
        now = utcnow()
        rnd = create_round(
            "Test round",
            ["MIC-CUC-2018", "MIC-VU-2018"],
            "MIC-XHH-2018",
            opens_at=now,
            closes_at=now + dt.timedelta(days=30),
        )
        open_round(rnd)
        create_user(EMAILS["admin"], "admin", PASSWORD)
        create_user(EMAILS["appraiser"], "appraiser", PASSWORD)
        create_user(EMAILS["viewer"], "viewer", PASSWORD)
        create_user(EMAILS["focal"], "focal", PASSWORD, "C01")
        create_user(EMAILS["other"], "focal", PASSWORD, "C02")
        db.session.commit()
        cuc = next(cs for cs in rnd.criteria_sets if cs.code == "MIC-CUC-2018")
        subs = {s.code: (s.id, s.max_points) for s in cuc.subcriteria() if s.source == "self"}
        return World(app, rnd.id, {u.code: u.id for u in rnd.units}, subs)


@pytest.fixture
def world(sqlite_app) -> World:
    return build_world(sqlite_app)


@pytest.fixture
def any_world(any_app) -> World:
    return build_world(any_app)


def count(app, model) -> int:
    from survey_app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
