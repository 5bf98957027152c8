"""Questionnaires: scales with levels, sections and items per respondent group."""
