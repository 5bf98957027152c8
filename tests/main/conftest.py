"""The assessments' small world (one open round, every role) serves the overview tests."""

from tests.assessments.conftest import world  # noqa: F401
