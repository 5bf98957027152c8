"""Schemathesis against the OpenAPI description of the JSON API: no 5xx, every response
matches the schema (a published round, so the public API has real figures to return)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.results.conftest import publish_demo


def test_api_answers_every_generated_request_within_its_schema(demo_app):
    publish_demo(demo_app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"GET /rounds", "GET /rounds/{round_id}/results"}
    for operation in operations:

        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate()

        check()
