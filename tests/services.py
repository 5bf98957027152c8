"""Finding the local PostgreSQL and Redis, and skipping (or failing) when they are down."""

from __future__ import annotations

import os

import pytest


def require_or_skip(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("PARINDEX_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (PARINDEX_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def postgres_admin_url() -> str | None:
    url = os.environ.get(
        "PARINDEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return url
    except Exception:  # noqa: BLE001 — any failure means "not answering"
        return None


def redis_url_or_none() -> str | None:
    url = os.environ.get("PARINDEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return url
    except Exception:  # noqa: BLE001
        return None
