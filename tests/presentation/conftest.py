"""The results demo fixtures (a round with self-assessments, appraisals and a run)."""

from tests.results.conftest import demo_app, demo_template  # noqa: F401
