"""Security headers on every response, session cookies, trusted proxies, NUL-free input.

The Content-Security-Policy allows no inline script or style, so every template keeps its
scripts and styles in ``static/`` files (``tests/hardening/test_headers.py`` checks each page).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app.core.notices import notice

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
#: PostgreSQL cannot store U+0000 in text; refusing it at the door keeps every path alike.
NUL = "\x00"


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is ``Secure`` whenever the request came over
    HTTPS (directly, or through a trusted proxy), so one deployment serves both."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_signing_serializer(self, app: Flask):
        """Flask builds a new serializer twice per request (and probes it with a trial
        ``dumps``); it holds nothing but the keys, so one is kept until they change."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.before_request(refuse_nul)
    app.after_request(add_headers)
    app.register_error_handler(CSRFError, refused_form)


def add_headers(response: Response) -> Response:
    """A view may set a stricter policy of its own (evidence downloads do)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def refuse_nul():
    """``before_request``: a NUL character in the address, a field or a file name is
    refused with a clear page (status 400), before any view could try to store it."""
    if not _has_nul(request):
        return None
    return notice(
        "This input cannot be accepted",
        "It contains a NUL character (U+0000), which cannot be stored. Nothing was saved; "
        "remove the character (often pasted from another program) and try again.",
        400,
    )


def _has_nul(req) -> bool:
    if NUL in req.path or any(NUL in k or NUL in v for k, v in req.args.items(multi=True)):
        return True
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if any(NUL in k or NUL in v for k, v in req.form.items(multi=True)):
        return True
    return any(NUL in (f.filename or "") for f in req.files.values())


def refused_form(_error: CSRFError):
    """A forged request, or a form from another (or an earlier) session: nothing changes."""
    return notice(
        "This form could not be accepted",
        "It was opened in another browser session, or before you signed in or out. Nothing "
        "was saved: go back, reload the page and try again.",
        400,
    )
