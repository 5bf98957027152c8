"""Rate limits on guessing: failed sign-ins, and link tokens that match nothing.

The two are separate counters (scopes ``login`` and ``link``), per client address: a
valid respondent link neither spends nor refills the sign-in allowance, and an account
locked by ``accounts.auth`` stays locked whatever else the address does. Only failures
count, so an office behind one address can still open hundreds of valid links a minute.
Counters live in Redis in production (shared by every gunicorn worker) and in memory in
the embedded mode; if Redis is unreachable they fall back to memory rather than refuse
respondents.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from survey_app.core.notices import notice
from survey_app.extensions import limiter

#: Failed sign-ins per client address (accounts also lock after 5 failures each).
LOGIN_LIMITS = "10 per minute;50 per hour"
#: Link tokens that match no invitation or open link, per client address.
LINK_LIMITS = "30 per minute;300 per hour"


def failed_login(response: Response) -> bool:
    return response.status_code != 302


def unknown_link(response: Response) -> bool:
    return response.status_code == 404


def _limited(decorator):
    """Flask-Limiter's decorator, and a mark on the view that it carries a limit."""

    def apply(view):
        wrapped = decorator(view)
        wrapped.parindex_limited = True
        return wrapped

    return apply


#: Decorators for the views (one shared ``link`` counter for ``/r/`` and ``/o/``).
login_limit = _limited(
    limiter.limit(LOGIN_LIMITS, scope="login", methods=["POST"], deduct_when=failed_login)
)
link_limit = _limited(limiter.shared_limit(LINK_LIMITS, scope="link", deduct_when=unknown_link))


def _unlimited() -> bool:
    """Flask-Limiter's request filter: a view without a limit of its own is skipped at
    once. There are no default limits, so this changes nothing but the cost: Flask-Limiter
    otherwise resolves (empty) limits for every request, a tenth of a form page's CPU."""
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "parindex_limited", False)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # X-RateLimit-* on every link would cost a storage round trip per request; the 429
    # page carries Retry-After itself.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    if _unlimited not in limiter._request_filters:
        limiter.request_filter(_unlimited)
    app.register_error_handler(429, too_many)


def too_many(error):
    page, status = notice(
        "Too many attempts",
        "Too many attempts came from this connection. Please wait a few minutes and try "
        "again; if you were sent a link, copy the whole link from your message.",
        429,
    )
    limit = getattr(error, "limit", None)
    seconds = limit.limit.get_expiry() if limit is not None else 60
    return page, status, {"Retry-After": str(seconds)}
