"""Addresses outside the site's pages (API links, mails, files): always on
``PARINDEX_BASE_URL``, never on the request's ``Host`` header, which the client chooses."""

from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """The full address of ``endpoint`` on the configured public address."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)
