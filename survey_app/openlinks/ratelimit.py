"""Open links' counters in the shared rate-limit store (Redis, or the instance's SQLite
file: ``core/limitstore.py``), so they hold across every worker process: a cap per
address and link, and a burst threshold per link. Addresses are hashed into the keys."""

from __future__ import annotations

import hashlib

from limits import parse

from survey_app.core.limitstore import failing_open
from survey_app.extensions import LIMITS_KEY_PREFIX, limiter

#: Submissions one address may make through one open link per hour.
PER_ADDRESS_PER_HOUR = 5
#: Submissions through one link within a minute above which each is marked a burst.
BURST_PER_MINUTE = 30
#: A burst is reported to the admin once per minute it lasts.
_ONCE = parse("1 per minute")


class OpenLinkLimiter:
    """Flask-Limiter's own storage and fixed-window strategy (``limiter.limiter``),
    called directly, as :class:`survey_app.core.ratelimits.LinkAttempts` does."""

    def __init__(self, per_address: int = PER_ADDRESS_PER_HOUR, burst: int = BURST_PER_MINUTE):
        self.per_address = parse(f"{per_address} per hour")
        self.burst = parse(f"{burst} per minute")

    def allow(self, link_id: int, address: str) -> bool:
        """Whether ``address`` may submit once more through the link (and count it)."""
        key = hashlib.sha256(f"{link_id}|{address}".encode()).hexdigest()
        return _hit(self.per_address, "openlink", str(link_id), key, default=True)

    def in_burst(self, link_id: int) -> bool:
        """Count a submission through the link; True when it is above the threshold."""
        return not _hit(self.burst, "openlink-burst", str(link_id), default=True)

    def report_burst(self, link_id: int) -> bool:
        """True for the first burst submission of each minute (reported to the admin)."""
        return _hit(_ONCE, "openlink-burst-report", str(link_id), default=False)


def _hit(item, *identifiers: str, default: bool) -> bool:
    with failing_open("open link submission not counted"):
        return limiter.limiter.hit(item, LIMITS_KEY_PREFIX, *identifiers)
    return default
