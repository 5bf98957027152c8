"""The rate-limit counters' SQLite file: shared by processes, atomic, windows that end;
and the Redis wrapper that counts there while Redis is away."""

from __future__ import annotations

import multiprocessing
import socket
import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from survey_app.core import limitstore


def _uri(tmp_path) -> str:
    return f"parindex-sqlite://{tmp_path / 'counters.sqlite'}"


def _hammer(uri: str, n: int) -> None:
    storage = storage_from_string(uri)
    for _ in range(n):
        storage.incr("shared", 60)


def test_four_processes_counting_at_once_lose_no_count(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hammer, args=(_uri(tmp_path), 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert storage_from_string(_uri(tmp_path)).get("shared") == 200


def test_a_window_ends_and_counting_starts_again(tmp_path):
    storage = storage_from_string(_uri(tmp_path))
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get_many(["k", "none"]) == [3, 0]
    assert time.time() < storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("k") == 0 and storage.incr("k", 1) == 1
    storage.clear("k")
    assert storage.get("k") == 0


def test_the_strategy_refuses_at_the_limit_from_a_second_process_view(tmp_path):
    one = FixedWindowRateLimiter(storage_from_string(_uri(tmp_path)))
    two = FixedWindowRateLimiter(storage_from_string(_uri(tmp_path)))
    limit = RateLimitItemPerMinute(3)
    assert [one.hit(limit, "a") for _ in range(3)] == [True] * 3
    assert two.test(limit, "a") is False and two.test(limit, "b") is True


def test_without_redis_the_counts_go_to_the_file(tmp_path):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    wrapped = storage_from_string("parindex-fallback://", primary=dead, fallback=_uri(tmp_path))
    assert [wrapped.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert wrapped.is_falling_back
    assert storage_from_string(_uri(tmp_path)).get("k") == 3  # what the other workers see
    wrapped._down_until = 0.0  # the recheck is due: Redis is tried again, and still away
    assert wrapped.get_many(["k"]) == [3] and wrapped.is_falling_back
    assert wrapped._down_until <= time.monotonic() + limitstore.RECHECK_SECONDS
