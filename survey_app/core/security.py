"""Security headers on every response, session cookies, trusted proxies, NUL-free input,
and CSRF checks on every state-changing request.

``Cache-Control: no-store`` on every response to a signed-in user and on the respondent
and sign-in pages (:func:`is_private`), unless the view set its own.

The Content-Security-Policy allows no inline script or style, so every template keeps its
scripts and styles in ``static/`` files (``tests/hardening/test_headers.py`` checks each page).

CSRF: Flask-WTF's token, bound to the session, is required on every POST, PUT, PATCH and
DELETE (its check runs only for those methods, not on every GET). Its "SSL strict" check
is off: it demands a same-origin ``Referer`` on every HTTPS form post, and no browser
sends one, because every page says ``Referrer-Policy: no-referrer``. A browser's own
``Sec-Fetch-Site: cross-site`` is refused instead; the token does the rest.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

from survey_app.core import fastpaths
from survey_app.core.notices import notice
from survey_app.core.signing import (
    FastURLSafeTimedSerializer,
    SessionJSON,
    csrf_token,
    csrf_token_matches,
)
from survey_app.extensions import csrf

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
#: Set on every response unless the view set its own (evidence downloads do).
HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
_HEADER_NAMES = tuple(name.lower() for name, _ in HEADERS)
UNSAFE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
#: PostgreSQL cannot store U+0000 in text; refusing it at the door keeps every path alike.
NUL = "\x00"


#: What the development server says in ``Server`` (it said ``Werkzeug/3.1.9 Python/3.11.7``).
SERVER_NAME = "ParIndex"


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's requests, without its and Python's version in ``Server``
    (gunicorn sends ``gunicorn``, without a version, by itself)."""

    def version_string(self) -> str:
        return SERVER_NAME


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is ``Secure`` whenever the request came over
    HTTPS (directly, or through a trusted proxy), so one deployment serves both."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    #: Flask's tagged JSON, skipping the tagging when the session needs none
    serializer = SessionJSON()

    def get_signing_serializer(self, app: Flask):
        """As Flask's, in the same format, but faster (see :mod:`survey_app.core.signing`).
        Flask builds a new serializer twice per request; it holds nothing but the keys,
        so one is kept until they change."""
        if not fastpaths.on("signing"):
            return super().get_signing_serializer(app)
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # current last
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            serializer = FastURLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            cached = self._serializer = (keys, serializer)
        return cached[1]


def init_app(app: Flask) -> None:
    """Before :func:`csrf.init_app <flask_wtf.csrf.CSRFProtect.init_app>`."""
    app.config.update(WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_SSL_STRICT=False)
    app.session_interface = SessionInterface()
    if not fastpaths.on("signing"):
        from flask.sessions import session_json_serializer

        app.session_interface.serializer = session_json_serializer
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.before_request(refuse_nul)
    app.before_request(check_csrf)
    app.after_request(add_headers)
    app.register_error_handler(CSRFError, refused_form)


def use_fast_csrf_tokens(app: Flask) -> None:
    """After Flask-WTF's ``init_app``: templates get the same token from
    :func:`~survey_app.core.signing.csrf_token`, which is faster to make."""
    if not fastpaths.on("signing"):
        return
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


def add_headers(response: Response) -> Response:
    """A view may set a stricter policy of its own (evidence downloads do)."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers, not dict)
    headers.extend(
        [pair for pair, name in zip(HEADERS, _HEADER_NAMES, strict=True) if name not in present]
    )
    if req.is_secure and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = HSTS
    if "cache-control" not in present and is_private(req):
        headers["Cache-Control"] = "no-store"
    return response


#: Blueprints whose every response is private even without a signed-in user: the
#: respondent's pages (answers, link state) and sign-in (CSRF token, the typed address).
PRIVATE_BLUEPRINTS = frozenset(("respond", "accounts"))


def is_private(req) -> bool:
    """Whether no browser or proxy may keep the response: every response to a signed-in
    user (pages, exports, the API) and every respondent or sign-in page (issue 17 item 5:
    a shared computer's back button or cache showed authenticated pages)."""
    return g.get("user") is not None or req.blueprint in PRIVATE_BLUEPRINTS


def check_csrf():
    """``before_request``: a state-changing request needs the session's CSRF token (in
    the form, or an ``X-CSRFToken`` header) and must not come from another site."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    if req.method not in UNSAFE_METHODS:
        return None
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"]:
        return None
    if req.headers.get("Sec-Fetch-Site") == "cross-site":
        return refused_form(None)
    field = config["WTF_CSRF_FIELD_NAME"]
    if fastpaths.on("signing") and csrf_token_matches(req.form.get(field)):
        g.csrf_valid = True  # as Flask-WTF marks it
        return None
    csrf.protect(apply_exemptions=True)  # exemptions, headers, its messages; or CSRFError
    return None


def refuse_nul():
    """``before_request``: a NUL character in the address, a field or a file name is
    refused with a clear page (status 400), before any view could try to store it."""
    if not _has_nul(request._get_current_object()):
        return None
    return notice(
        "This input cannot be accepted",
        "It contains a NUL character (U+0000), which cannot be stored. Nothing was saved; "
        "remove the character (often pasted from another program) and try again.",
        400,
    )


def _has_nul(req) -> bool:
    # A NUL can only reach the query through "%00": no need to parse it when it has none.
    query = req.environ.get("QUERY_STRING", "")
    if NUL in req.path or (
        ("%00" in query or NUL in query)
        and any(NUL in k or NUL in v for k, v in req.args.items(multi=True))
    ):
        return True
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if any(NUL in k or NUL in v for k, v in req.form.items(multi=True)):
        return True
    return any(NUL in (f.filename or "") for f in req.files.values())


def refused_form(_error: CSRFError | None):
    """A forged request, or a form from another (or an earlier) session: nothing changes."""
    return notice(
        "This form could not be accepted",
        "It was opened in another browser session, or before you signed in or out. Nothing "
        "was saved: go back, reload the page and try again.",
        400,
    )
