"""Alembic migrations (one concern per revision, each with a working downgrade)."""
