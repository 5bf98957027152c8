"""The criteria set pages use the catalogue fixtures of the questionnaire pages."""

from tests.questionnaires.conftest import empty_site, site  # noqa: F401
