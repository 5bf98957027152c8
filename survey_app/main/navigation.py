"""The header menu: what the signed-in role may use, with the current page marked.

One table for every feature: a feature adds its page here (endpoint, label, roles,
the URL prefix that marks it current). An entry whose endpoint is not registered is
left out, so the menu never links to a page that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for

from survey_app.i18n import gettext


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: str
    roles: tuple[str, ...]
    prefix: str


STAFF = ("admin", "appraiser", "focal", "viewer")

MENU = (
    MenuEntry("main.home", "Overview", STAFF, "/"),
    MenuEntry("rounds.index", "Survey rounds", ("admin",), "/admin/rounds"),
    MenuEntry("questionnaires.index", "Questionnaires", ("admin",), "/admin/questionnaires"),
    MenuEntry("criteria.index", "Criteria sets", ("admin",), "/admin/criteria-sets"),
    MenuEntry("units.index", "Units", ("admin",), "/admin/units"),
    MenuEntry("users.index", "Users", ("admin",), "/admin/users"),
    MenuEntry("assessments.index", "Self-assessment & appraisal", STAFF, "/assessments"),
    MenuEntry("results.index", "Results", (*STAFF, None), "/results"),
)


def menu_for(role: str | None) -> list[dict]:
    """The entries ``role`` may use (None: the public), each with its URL and whether it
    is the current page."""
    registered = current_app.view_functions
    path = request.path
    entries = [e for e in MENU if role in e.roles and e.endpoint in registered]
    current = _current(entries, path)
    return [
        {"url": url_for(e.endpoint), "label": gettext(e.label), "current": e is current}
        for e in entries
    ]


def _current(entries: list[MenuEntry], path: str) -> MenuEntry | None:
    """The entry with the longest prefix of ``path`` ("/" only for the home page itself)."""
    matching = [
        e
        for e in entries
        if (
            path == "/"
            if e.prefix == "/"
            else (path == e.prefix or path.startswith(e.prefix + "/"))
        )
    ]
    return max(matching, key=lambda e: len(e.prefix), default=None)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject():
        user = g.get("user")
        return {"menu": lambda: menu_for(user.role if user else None), "account_url": _account_url}


def _account_url() -> str | None:
    """The signed-in user's own page (password change), where the feature provides one."""
    return (
        url_for("accounts.password") if "accounts.password" in current_app.view_functions else None
    )
