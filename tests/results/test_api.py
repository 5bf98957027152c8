"""The JSON API: every response validates against the OpenAPI 3.1 description it serves."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from survey_app.results.api import openapi_document
from tests.results.conftest import publish_demo, sign_in

UNIT_FIELDS = (
    "unit kind self_points survey_points survey_se bonus penalty max_points index index_se "
    "index_ci_low index_ci_high rank rank_low rank_high previous_index change areas flags"
).split()
SUB_FIELDS = "unit subcriterion source max_points points se ci_low ci_high groups flags".split()
SUMMARY_FIELDS = (
    "kind n_units mean max max_unit min min_unit gap previous_mean mean_change n_at_least_80 "
    "share_at_least_80 fell ministry_index"
).split()


def _validate(template: str, response) -> dict:
    """Check ``response`` against the schema the document gives for its path and status."""
    doc = openapi_document()
    documented = doc["paths"][template]["get"]["responses"]
    assert str(response.status_code) in documented, f"{response.status_code} not documented"
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    body = response.get_json()
    Draft202012Validator({**schema, "components": doc["components"]}).validate(body)
    return body


def test_the_openapi_document_is_openapi_3_1_with_valid_schemas(demo_app):
    doc = sign_in(demo_app, None).get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0" and doc == openapi_document()
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert {"/rounds", "/rounds/{round_id}/results", "/openapi.json"} == set(doc["paths"])


def test_staff_get_a_rounds_results_with_the_field_names_of_parindex_index(any_demo_app):
    response = sign_in(any_demo_app, "viewer").get("/api/v1/rounds/1/results")
    body = _validate("/rounds/{round_id}/results", response)
    assert len(body["units"]) == 21 and len(body["summary"]) == 2
    assert set(UNIT_FIELDS) <= set(body["units"][0])
    assert set(SUB_FIELDS) <= set(body["subcriteria"][0])
    assert set(SUMMARY_FIELDS) == set(body["summary"][0])
    first = body["units"][0]
    assert (first["unit"], first["rank"], first["index"]) == ("C02", 1, pytest.approx(91.4))
    assert body["unit_names"]["C02"] == {"vi": "Cục Báo chí", "en": "Press Authority"}
    assert body["meta"]["run"] == 1 and body["meta"]["is_final"] is False


def test_rounds_list_shows_the_public_only_published_rounds(demo_app):
    anonymous = _validate("/rounds", sign_in(demo_app, None).get("/api/v1/rounds"))
    assert anonymous == {"rounds": []}
    staff = _validate("/rounds", sign_in(demo_app, "viewer").get("/api/v1/rounds"))
    assert [r["state"] for r in staff["rounds"]] == ["open"]
    publish_demo(demo_app)
    anonymous = _validate("/rounds", sign_in(demo_app, None).get("/api/v1/rounds"))
    assert [(r["id"], r["state"]) for r in anonymous["rounds"]] == [(1, "published")]
    assert anonymous["rounds"][0]["results_url"].endswith("/api/v1/rounds/1/results")


def test_unpublished_results_need_a_staff_account(demo_app):
    anonymous = sign_in(demo_app, None).get("/api/v1/rounds/1/results")
    assert anonymous.status_code == 401
    _validate("/rounds/{round_id}/results", anonymous)
    focal = sign_in(demo_app, "focal").get("/api/v1/rounds/1/results")
    assert focal.status_code == 403
    _validate("/rounds/{round_id}/results", focal)
    missing = sign_in(demo_app, "viewer").get("/api/v1/rounds/77/results")
    assert _validate("/rounds/{round_id}/results", missing)["error"]["status"] == 404


def test_published_results_are_public_and_validate(demo_app):
    publish_demo(demo_app)
    for role in (None, "focal"):
        body = _validate(
            "/rounds/{round_id}/results", sign_in(demo_app, role).get("/api/v1/rounds/1/results")
        )
        assert body["meta"]["is_published"] is True and body["round"]["state"] == "published"
        assert any(
            g.get("suppressed") for s in body["subcriteria"] for g in (s["groups"] or {}).values()
        )
