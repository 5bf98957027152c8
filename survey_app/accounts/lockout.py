"""Failed sign-ins per account: per (account, address), and per account from everywhere.

A guesser at one address stops that address, not the owner elsewhere: after
:data:`ADDRESS_FAILURES` failures for one account from one address, that address is
refused for that account; only :data:`ACCOUNT_FAILURES` failures from all addresses
together (a guesser with many addresses) refuse the account everywhere. Both last until
their window ends, at most ``PARINDEX_LOGIN_LOCK_MINUTES`` (default 15) after the first
failure counted in it; nothing doubles. Unknown e-mail addresses are counted like known
ones, so no answer depends on whether an account exists.

The counters are the rate limits' (Redis, or the instance's SQLite file; see
:mod:`survey_app.core.limitstore`), keyed by a hash of the e-mail address. If that
storage fails entirely, sign-in goes on unthrottled (and is logged), as Flask-Limiter's
own limits do.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from limits import RateLimitItemPerMinute

from survey_app.core.limitstore import failing_open
from survey_app.extensions import LIMITS_KEY_PREFIX, limiter

#: Failures for one account from one address before that address is refused for it.
ADDRESS_FAILURES = 5
#: Failures for one account from all addresses before it is refused everywhere.
ACCOUNT_FAILURES = 50


def _windows() -> tuple[RateLimitItemPerMinute, RateLimitItemPerMinute]:
    minutes = current_app.config["LOGIN_LOCK_MINUTES"]
    return (
        RateLimitItemPerMinute(ADDRESS_FAILURES, minutes),
        RateLimitItemPerMinute(ACCOUNT_FAILURES, minutes),
    )


def _keys(email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return (LIMITS_KEY_PREFIX, "signin", account, address), (LIMITS_KEY_PREFIX, "signin", account)


def is_locked(email: str, address: str) -> bool:
    """Whether sign-in to ``email`` from ``address`` is refused for now."""
    with failing_open("sign-in lockout not checked"):
        return not all(
            limiter.limiter.test(window, *key)
            for window, key in zip(_windows(), _keys(email, address), strict=True)
        )
    return False


def failed(email: str, address: str) -> None:
    with failing_open("failed sign-in not counted"):
        for window, key in zip(_windows(), _keys(email, address), strict=True):
            limiter.limiter.hit(window, *key)


def succeeded(email: str, address: str) -> None:
    """The owner got in from ``address``: its own failures there are forgotten (the
    account-wide count stays, so a guesser cannot reset it by signing in elsewhere)."""
    window, key = _windows()[0], _keys(email, address)[0]
    with failing_open("sign-in failures not cleared"):
        limiter.limiter.clear(window, *key)


def release(email: str, address: str | None = None) -> None:
    """A new password or a reactivation by an admin: the account-wide pause ends (and the
    pause of ``address``, the owner's, when the owner does it)."""
    pairs = list(zip(_windows(), _keys(email, address or ""), strict=True))
    if address is None:
        pairs = pairs[1:]
    with failing_open("sign-in pause not released"):
        for window, key in pairs:
            limiter.limiter.clear(window, *key)
