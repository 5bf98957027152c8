"""A page that says the same thing in Vietnamese and in English (errors met before the
visitor could choose a language: refused input, rate limits)."""

from __future__ import annotations

from flask import render_template

from survey_app.i18n import gettext


def notice(title: str, text: str, status: int, **params):
    """Render ``templates/notice.html`` with ``title`` and ``text`` (English msgids)."""
    versions = [
        {
            "lang": lang,
            "title": gettext(title, lang=lang),
            "text": gettext(text, lang=lang, **params),
        }
        for lang in ("vi", "en")
    ]
    return render_template("notice.html", versions=versions), status
