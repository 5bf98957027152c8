"""Security headers on every response; cookies; debug; no inline code for the CSP to block."""

from __future__ import annotations

import pytest

from survey_app.core.security import CSP
from tests.hardening.conftest import SKIPPED, inline_code, visit_all

POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
}


def test_the_policy_allows_nothing_inline():
    assert set(CSP.split("; ")) == POLICY
    assert "unsafe" not in CSP


def test_every_page_has_the_headers_and_no_inline_script_style_or_handler(site):
    pages = visit_all(site)
    endpoints = {r.endpoint for r in site.app.url_map.iter_rules() if "GET" in r.methods}
    assert set(pages) == endpoints - SKIPPED  # every GET endpoint but static files
    for endpoint, response in pages.items():
        assert response.status_code < 500, endpoint
        headers = response.headers
        if endpoint != "assessments.download_evidence":  # has its own, stricter policy
            assert headers["Content-Security-Policy"] == CSP, endpoint
        assert headers["X-Content-Type-Options"] == "nosniff", endpoint
        assert headers["Referrer-Policy"] == "no-referrer", endpoint
        assert "Strict-Transport-Security" not in headers, endpoint  # plain http
        if response.mimetype == "text/html":
            assert inline_code(response.text) == [], endpoint
    assert pages["respond.page"].status_code == 200 and "Q01" in pages["respond.page"].text
    download = pages["assessments.download_evidence"]
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_inline_code_detector_finds_what_the_policy_blocks():
    html = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href=" JavaScript:alert(1)">x</a><style>p{}</style><script src="/s.js"></script>'
    )
    assert sorted(inline_code(html)) == sorted(
        [
            "<script> without src",
            "inline script text",
            "style attribute on <p>",
            "onclick handler on <p>",
            "javascript: URL in href of <a>",
            "<style> element",
        ]
    )


def test_errors_redirects_and_static_files_carry_the_headers_too(sqlite_app):
    client = sqlite_app.test_client()
    for url in ("/no-such-page", "/admin/rounds/", "/static/parindex.css", "/healthz"):
        response = client.get(url)
        assert response.headers["Content-Security-Policy"] == CSP, url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_https_gets_hsts_and_a_secure_cookie_and_http_gets_neither(sqlite_app):
    over_https = sqlite_app.test_client().get("/?lang=en", base_url="https://parindex.example")
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = over_https.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    over_http = sqlite_app.test_client().get("/?lang=en")
    assert "Strict-Transport-Security" not in over_http.headers
    cookie = over_http.headers["Set-Cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(("proxies", "secure"), [(0, False), (1, True)])
def test_x_forwarded_proto_counts_only_behind_a_configured_proxy(sqlite_app, proxies, secure):
    from survey_app import create_app

    app = create_app({**sqlite_app.config, "TRUSTED_PROXIES": proxies})
    response = app.test_client().get(
        "/?lang=en", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert ("Strict-Transport-Security" in response.headers) is secure
    assert ("Secure" in response.headers["Set-Cookie"]) is secure


def test_flask_debug_in_the_environment_does_not_turn_debug_on(sqlite_app, monkeypatch):
    from survey_app import create_app

    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({k: v for k, v in sqlite_app.config.items() if k != "DEBUG"})
    assert app.debug is False
    assert app.test_client().get("/no-such-page").status_code == 404
