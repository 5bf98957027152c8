"""Celery worker: thin tasks (ids in), the outbox dispatcher and the aggregation pipeline."""
