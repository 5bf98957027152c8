"""The session cookie and the CSRF token are signed faster (``survey_app.core.signing``),
in exactly the format of Flask's and Flask-WTF's own code: each reads what the other
writes, so upgrading logs nobody out and Flask-WTF's own checks keep working."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup

from survey_app.core.signing import CSRF_SALT, csrf_token

SESSIONS = [
    {},
    {"respond": {"kind": "i", "id": 7, "h": "ab" * 32, "group": "leader", "blank_at": 0}},
    {"csrf_token": "c" * 40, "respond_submitted": True, "user_id": 3, "lang": None},
    {"_flashes": [("info", "Đã lưu câu trả lời.")], "ratio": 0.5},  # tuples: tagged
    {"when": dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC), "raw": b"\x00\xff"},
    {"markup": Markup("<b>x</b>"), "nested": [{" t": ["looks", "tagged"]}]},
    {" t": "a key that is one of the tags"},
    {"big": ["đánh giá " * 40] * 20},  # large enough to be compressed
]


def _stock(app):
    return SecureCookieSessionInterface().get_signing_serializer(app)


@pytest.mark.parametrize("data", SESSIONS)
def test_session_cookies_are_read_both_ways(sqlite_app, data):
    ours = sqlite_app.session_interface.get_signing_serializer(sqlite_app)
    stock = _stock(sqlite_app)
    with sqlite_app.app_context():
        assert stock.loads(ours.dumps(data)) == data
        assert ours.loads(stock.dumps(data)) == data


def test_a_changed_cookie_or_another_key_is_refused(sqlite_app):
    ours = sqlite_app.session_interface.get_signing_serializer(sqlite_app)
    cookie = ours.dumps({"user_id": 1})
    with pytest.raises(Exception, match="Signature"):
        ours.loads(cookie.replace("eyJ", "eyK", 1))
    other = URLSafeTimedSerializer("another key", salt="cookie-session")
    with pytest.raises(Exception, match="Signature"):
        other.loads(cookie)


def test_csrf_tokens_are_flask_wtf_tokens(sqlite_app, monkeypatch):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_795_000_000)
    with sqlite_app.test_request_context("/"):
        token = csrf_token()
        assert generate_csrf() == token  # the same request: Flask-WTF finds ours on g
        validate_csrf(token)  # raises if it does not accept it
        raw = URLSafeTimedSerializer(sqlite_app.secret_key, salt=CSRF_SALT).loads(token)
        assert raw == session["csrf_token"]
        g.pop("csrf_token")
        theirs = generate_csrf()  # Flask-WTF's own, for the same session at the same time
        g.pop("csrf_token")
        assert csrf_token() == theirs == token


def test_the_quick_csrf_check_accepts_only_what_flask_wtf_accepts(sqlite_app):
    from flask_wtf.csrf import ValidationError

    from survey_app.core.signing import csrf_token_matches

    with sqlite_app.test_request_context("/"):
        token = csrf_token()
        foreign = URLSafeTimedSerializer("another key", salt=CSRF_SALT).dumps(session["csrf_token"])
        for candidate in (token, token + "x", token[:-2], foreign, "", None, "a.b.c"):
            try:
                validate_csrf(candidate)
                accepted = True
            except ValidationError:
                accepted = False
            assert csrf_token_matches(candidate) is accepted, candidate
        assert csrf_token_matches(token)
