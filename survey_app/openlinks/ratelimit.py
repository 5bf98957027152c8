"""Per-process sliding-window counters for open links: a cap per address, a burst alarm
per link. Addresses are kept in memory only, hashed, and never written anywhere."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque

#: Submissions one address may make through one open link per hour.
PER_ADDRESS_PER_HOUR = 5
#: Submissions through one link within a minute that count as a suspicious burst.
BURST_PER_MINUTE = 30


class OpenLinkLimiter:
    def __init__(self, per_address: int = PER_ADDRESS_PER_HOUR, burst: int = BURST_PER_MINUTE):
        self.per_address, self.burst = per_address, burst
        self._by_address: dict[str, deque] = defaultdict(deque)
        self._by_link: dict[int, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, link_id: int, address: str) -> bool:
        """Whether ``address`` may submit once more through the link (and count it)."""
        key = hashlib.sha256(f"{link_id}|{address}".encode()).hexdigest()
        with self._lock:
            hits = _trim(self._by_address[key], 3600)
            if len(hits) >= self.per_address:
                return False
            hits.append(time.monotonic())
            return True

    def record(self, link_id: int) -> bool:
        """Count a stored submission; True exactly when it completes a burst."""
        with self._lock:
            hits = _trim(self._by_link[link_id], 60)
            hits.append(time.monotonic())
            if len(hits) >= self.burst:
                hits.clear()
                return True
            return False


def _trim(hits: deque, window: float) -> deque:
    cutoff = time.monotonic() - window
    while hits and hits[0] < cutoff:
        hits.popleft()
    return hits
