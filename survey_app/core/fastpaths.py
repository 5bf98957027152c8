"""Switches that turn a respondent fast path (or SQLite's writer queue) off, only to
measure what it buys (``bench/load_submit.py --without``; issue 16). Everything is on
unless ``PARINDEX_BENCH_WITHOUT`` names a part; each part's plain path is the
framework's own (without the queue: SQLite's busy handler alone)."""

from __future__ import annotations

import os

#: The parts that can be switched off.
PARTS = ("driversql", "signing", "page_cache", "plainly_valid", "writer_queue")

_OFF = frozenset(p for p in os.environ.get("PARINDEX_BENCH_WITHOUT", "").split(",") if p)


def on(part: str) -> bool:
    return part not in _OFF
