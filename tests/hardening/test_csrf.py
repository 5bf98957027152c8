"""CSRF: every state-changing route of the app refuses a request without a token, with a
token of another session and with a token from before sign-in, and changes nothing."""

from __future__ import annotations

import io

import pytest

from tests.assessments.conftest import PASSWORD
from tests.hardening.conftest import PNG, csrf_token, fingerprint
from tests.rounds.conftest import answers

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _unsafe_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & UNSAFE
    )


def _url(site, endpoint: str) -> str:
    from flask import url_for

    values = {
        "round_id": site.ids["round_id"],
        "unit_id": site.ids["unit_id"],
        "assessment_id": site.ids["assessment_id"],
        "evidence_id": site.ids["evidence_id"],
        "user_id": site.ids["user_id"],
        "token": site.ids["reset_token"],
    }
    rule = next(r for r in site.app.url_map.iter_rules() if r.endpoint == endpoint)
    with site.app.test_request_context():
        return url_for(endpoint, **{a: values[a] for a in rule.arguments})


def _data(site, endpoint: str) -> dict:
    """What the route would accept with a valid token (so only the token is missing)."""
    if endpoint == "accounts.login":
        return {"email": "admin@x.vn", "password": PASSWORD}
    if endpoint == "respond.page_post":
        return {"s": "0", "action": "submit", **answers(3)}
    if endpoint.startswith("assessments."):
        return site.world.full_sheet(action="submit") | {
            "file": (io.BytesIO(PNG), "scan.png"),
            "text": "because",
            "points": "1",
            "reason": "r",
        }
    return {"unit": "C01", "group": "leader", "name": "x"}


def _stale_and_foreign_tokens(site, client):
    """A token this client held before it signed in again, and one of another session."""
    stale = csrf_token(client.get("/login").text)
    client.post("/login", data={"email": "admin@x.vn", "password": PASSWORD, "csrf_token": stale})
    other = site.app.test_client()
    foreign = csrf_token(other.get("/login").text)
    return stale, foreign


def test_every_state_changing_route_is_refused_without_a_valid_token(site):
    app = site.app
    app.config["WTF_CSRF_ENABLED"] = True
    routes = _unsafe_routes(app)
    assert len(routes) >= 24 and all(m == "POST" for _, m in routes)  # no PUT/PATCH/DELETE
    client = app.test_client()
    stale, foreign = _stale_and_foreign_tokens(site, client)
    client.get(f"/r/{site.ids['tokens'][1]}")  # a respondent session in the same browser
    current = csrf_token(client.get("/respond").text)
    before = fingerprint(app)
    for endpoint, method in routes:
        url = _url(site, endpoint)
        for token in (None, stale, foreign, current + "x"):
            data = _data(site, endpoint) | ({"csrf_token": token} if token else {})
            response = client.open(url, method=method, data=data)
            assert response.status_code == 400, (endpoint, token)
            assert "This form could not be accepted" in response.text or (
                "Không thể nhận biểu mẫu này" in response.text
            )
    assert fingerprint(app) == before


@pytest.mark.parametrize("endpoint", ["accounts.login", "respond.page_post"])
def test_the_same_requests_with_the_current_token_are_accepted(site, endpoint):
    """The control: the refusals above are the token's doing, not the data's."""
    site.app.config["WTF_CSRF_ENABLED"] = True
    client = site.app.test_client()
    client.get(f"/r/{site.ids['tokens'][1]}")
    token = csrf_token(client.get("/respond" if endpoint != "accounts.login" else "/login").text)
    before = fingerprint(site.app)
    response = client.post(_url(site, endpoint), data=_data(site, endpoint) | {"csrf_token": token})
    assert response.status_code in (302, 303)
    assert fingerprint(site.app) != before  # a login is audited; a submit stores a response


def test_over_https_a_form_is_accepted_without_a_referer_and_refused_from_another_site(site):
    """Every page says ``Referrer-Policy: no-referrer``, so a browser posts its forms over
    HTTPS with no ``Referer``: that must not be taken for forgery (Flask-WTF's "SSL strict"
    check would refuse every one). A browser's ``Sec-Fetch-Site: cross-site`` is refused,
    even with a valid token, and changes nothing."""
    site.app.config["WTF_CSRF_ENABLED"] = True
    client = site.app.test_client()
    https = {"base_url": "https://par.example.vn"}
    assert client.get(f"/r/{site.ids['tokens'][1]}", **https).status_code == 200
    page = client.get("/respond", **https)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    data = _data(site, "respond.page_post") | {"csrf_token": csrf_token(page.text)}
    before = fingerprint(site.app)
    forged = client.post("/respond", data=data, headers={"Sec-Fetch-Site": "cross-site"}, **https)
    assert forged.status_code == 400 and "This form could not be accepted" in forged.text
    assert fingerprint(site.app) == before
    stored = client.post("/respond", data=data, headers={"Sec-Fetch-Site": "same-origin"}, **https)
    assert stored.status_code == 303, stored.text
    assert fingerprint(site.app) != before
