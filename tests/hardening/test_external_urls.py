"""Addresses given out of the site (the API's ``results_url``, reset links, open links)
are built on ``PARINDEX_BASE_URL``, never on the request's forged ``Host``."""

from __future__ import annotations

import re

from tests.hardening.conftest import csrf_token

BASE = "https://parindex.example.gov.vn"
FORGED = {"Host": "evil.example"}


def test_a_forged_host_never_reaches_an_address_we_give_out(site):
    from survey_app.accounts.operations import get_user_by_email

    app = site.app
    app.config["BASE_URL"] = BASE
    admin = site.client("admin")
    # The test client keeps cookies per host: send the admin's session to the forged one.
    admin.set_cookie("session", admin.get_cookie("session").value, domain="evil.example")
    listed = admin.get("/api/v1/rounds", headers=FORGED).get_json()["rounds"]
    assert listed and all(r["results_url"].startswith(BASE + "/api/v1/") for r in listed)
    with app.app_context():
        viewer = get_user_by_email("viewer@x.vn").id
    page = admin.get(f"/admin/users/{viewer}", headers=FORGED)
    reset = admin.post(
        f"/admin/users/{viewer}/reset-link",
        data={"csrf_token": csrf_token(page.text)},
        headers=FORGED,
    )
    assert re.search(re.escape(BASE) + r"/account/reset/\S+", reset.text)
    opened = admin.post(
        f"/admin/rounds/{site.ids['round_id']}/open-links",
        data={"unit": "C01", "group": "official"},
        headers=FORGED,
        follow_redirects=True,
    )
    assert re.search(re.escape(BASE) + r"/o/[A-Za-z0-9_-]{20,}", opened.text)
    for response in (reset, opened):
        assert "evil.example" not in response.text
        assert "evil.example" not in str(response.headers)
