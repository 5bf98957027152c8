"""Rate limits on guessing: failed sign-ins, and link tokens that match nothing.

The two are separate counters (scopes ``login`` and ``link``), per client address: a
valid respondent link neither spends nor refills the sign-in allowance, and an account
paused by ``accounts.lockout`` stays paused whatever else the address does. Only failures
count, so an office behind one address can still open hundreds of valid links a minute.
Counters live in Redis in production (shared by every gunicorn worker) and in a SQLite
file in the instance folder in the embedded mode; if Redis is unreachable they are kept in
that file (shared by every process of the machine) until Redis answers again, rather than
refuse respondents or count per process (``core/limitstore.py``).
"""

from __future__ import annotations

import functools
import os
from urllib.parse import urlparse

from flask import Flask, Response, current_app
from flask_limiter.util import get_remote_address
from limits import parse_many

from survey_app.core.limitstore import COUNTERS_FILE, failing_open, get_many
from survey_app.core.notices import notice
from survey_app.extensions import LIMITS_KEY_PREFIX as _KEY_PREFIX
from survey_app.extensions import limiter

#: Failed sign-ins per client address (an account also pauses: ``accounts.lockout``).
LOGIN_LIMITS = "10 per minute;50 per hour"
#: Link tokens that match no invitation or open link, per client address.
LINK_LIMITS = "30 per minute;300 per hour"


def failed_login(response: Response) -> bool:
    return response.status_code != 302


def unknown_link(response: Response) -> bool:
    return response.status_code == 404


#: Failed sign-ins: Flask-Limiter's decorator (only failures are deducted).
login_limit = limiter.limit(LOGIN_LIMITS, scope="login", methods=["POST"], deduct_when=failed_login)


class LinkAttempts:
    """Link tokens that matched nothing, per client address (``/r/`` and ``/o/`` share
    the counter): tested before a token is looked up, counted when it matched nothing.

    The counters are Flask-Limiter's own (its configured storage and strategy, under its
    key prefix), called directly rather than through its decorator: every respondent
    opens a link, and the decorator's per-request bookkeeping cost more CPU than the
    rest of that request. The storage falls back from Redis to the instance's SQLite
    file by itself (:mod:`survey_app.core.limitstore`); if even that fails, links are
    served rather than refused.
    """

    def __init__(self, limits: str) -> None:
        self.limits = parse_many(limits)
        #: the storage keys of an address (as ``limits`` names them), kept for the
        #: addresses seen lately: the same for every link an address opens
        self.keys_of = functools.lru_cache(maxsize=4096)(self._keys)

    def _keys(self, address: str) -> tuple[str, ...]:
        return tuple(item.key_for(_KEY_PREFIX, "link", address) for item in self.limits)

    def refused_for(self, address: str) -> int | None:
        """Seconds to wait if ``address`` has used up an allowance, else None.

        As the fixed-window strategy's ``test`` of each limit, but with one read of the
        storage for all of them (one round trip per link opened)."""
        keys = list(self.keys_of(address))
        counts = None
        with failing_open("link attempts not checked"):
            counts = get_many(limiter.limiter.storage, keys)
        if counts is None:
            return None
        for item, count in zip(self.limits, counts, strict=True):
            if count >= item.amount:
                return item.get_expiry()
        return None

    def failed(self, address: str) -> None:
        with failing_open("link attempt not counted"):
            for item in self.limits:
                limiter.limiter.hit(item, _KEY_PREFIX, "link", address)


link_attempts = LinkAttempts(LINK_LIMITS)


def link_limit(view):
    """Views that take a link token: refused (429) once the address has guessed too
    often; a response of 404 (no such link) counts as a guess."""

    @functools.wraps(view)
    def limited(*args, **kwargs):
        if not limiter.enabled:
            return view(*args, **kwargs)
        address = get_remote_address()
        wait = link_attempts.refused_for(address)
        if wait is not None:
            return too_many_attempts(wait)
        response = current_app.make_response(view(*args, **kwargs))
        if unknown_link(response):
            link_attempts.failed(address)
        return response

    return limited


def storage_settings(uri: str, instance_path: str) -> tuple[str, dict]:
    """Flask-Limiter's storage URI and options for the configured ``uri``: Redis with
    the instance file as its fallback; else the configured one (the instance file, see
    :func:`survey_app.config.load_config`, or ``memory://`` for one process)."""
    if urlparse(uri).scheme in {"redis", "rediss"}:
        local = "parindex-sqlite://" + os.path.join(instance_path, COUNTERS_FILE)
        return "parindex-fallback://", {"primary": uri, "fallback": local}
    return uri, {}


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"], app.config["RATELIMIT_STORAGE_OPTIONS"] = storage_settings(
        app.config["RATELIMIT_STORAGE_URI"], app.instance_path
    )
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # The storage falls back by itself, to a store every process shares; Flask-Limiter's
    # own fallback would count per process.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False
    # X-RateLimit-* on every link would cost a storage round trip per request; the 429
    # page carries Retry-After itself.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    # Every limit here is on a view, checked by its decorator; there are no default or
    # application limits. Flask-Limiter's check before every request would only resolve
    # an empty list, about 4% of the server's CPU under respondent load, so it is taken
    # out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Its after-request hook deducts failed sign-ins and its teardown clears what the
    # decorator noted; only the sign-in view (blueprint "accounts") is decorated, so
    # they run for that blueprint's requests only rather than for every respondent's.
    for hooks in (app.after_request_funcs, app.teardown_request_funcs):
        for hook in [h for h in hooks[None] if _limiter_hook(h)]:
            hooks[None].remove(hook)
            hooks[SIGN_IN_BLUEPRINT].append(hook)
    app.register_error_handler(429, too_many)


#: The blueprint of the one view decorated with a Flask-Limiter limit (``login_limit``).
SIGN_IN_BLUEPRINT = "accounts"


def _limiter_hook(hook) -> bool:
    owner = hook.args[0] if isinstance(hook, functools.partial) and hook.args else None
    return getattr(hook, "__self__", owner) is limiter


def too_many(error):
    limit = getattr(error, "limit", None)
    return too_many_attempts(limit.limit.get_expiry() if limit is not None else 60)


def too_many_attempts(seconds: int):
    page, status = notice(
        "Too many attempts",
        "Too many attempts came from this connection. Please wait a few minutes and try "
        "again; if you were sent a link, copy the whole link from your message.",
        429,
    )
    return page, status, {"Retry-After": str(seconds)}
