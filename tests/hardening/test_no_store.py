"""``Cache-Control: no-store`` on every response to a signed-in user, for each role, and
on the respondent's pages (issue 17 item 5: 10 of 11 authenticated pages had none)."""

from __future__ import annotations

from tests.hardening.conftest import RESPONDENT, get_urls, visit_all

ROLES = ("admin", "appraiser", "focal", "viewer")
#: The same file for everyone, cached on purpose (like static files).
PUBLIC_FILES = {"main.favicon"}


def test_every_page_export_and_api_answer_to_each_role_is_no_store(site):
    urls = {e: u for e, u in get_urls(site).items() if e not in RESPONDENT | PUBLIC_FILES}
    seen = 0
    for role in ROLES:
        client = site.client(role)
        for endpoint, url in sorted(urls.items()):
            response = client.get(url)
            if endpoint == "accounts.reset":  # the reset page signs nobody in; still private
                assert "no-store" in response.headers["Cache-Control"], url
                continue
            assert "no-store" in response.headers.get("Cache-Control", ""), (role, url)
            seen += response.status_code == 200
    assert seen > 4 * 20  # most pages were really shown, not only refused


def test_respondent_and_sign_in_pages_are_no_store(site):
    pages = visit_all(site)
    for endpoint in (*RESPONDENT, "accounts.login"):
        assert pages[endpoint].headers["Cache-Control"] == "no-store", endpoint


def test_public_results_for_a_visitor_may_be_kept(site):
    """Only what is private is marked: a visitor's public page is left to the defaults."""
    for url in ("/results/", "/api/v1/rounds"):
        response = site.app.test_client().get(url)
        assert response.status_code == 200
        assert "Cache-Control" not in response.headers, url
