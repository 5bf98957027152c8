"""Vietnamese and English: the language of a request and a small message catalogue.

Messages are written in English in code and templates; ``i18n/vi/*.json`` (one file per
feature, so features never edit each other's catalogue) maps them to Vietnamese. We use
JSON rather than gettext ``.mo`` files so that `make run` needs no compile step.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, g, request, session

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
_CATALOG: dict[str, str] = {}


def load_catalog() -> dict[str, str]:
    if not _CATALOG:
        for path in sorted((Path(__file__).parent / "vi").glob("*.json")):
            _CATALOG.update(json.loads(path.read_text(encoding="utf-8")))
    return _CATALOG


def get_language() -> str:
    """The request's language: ``?lang=``, then the session, then Vietnamese."""
    lang = getattr(g, "lang", None)
    if lang:
        return lang
    asked = request.args.get("lang") if request else None
    if asked in LANGUAGES:
        session["lang"] = asked
    lang = session.get("lang") if request else None
    g.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return g.lang


def gettext(message: str, lang: str | None = None, **params) -> str:
    """Translate ``message`` (English) into the request's language; format ``params``."""
    lang = lang or get_language()
    text = load_catalog().get(message, message) if lang == "vi" else message
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, lang: str | None = None, **params) -> str:
    return gettext(singular if n == 1 else plural, lang=lang, n=n, **params)


class FormTranslations:
    """WTForms ``translations`` object: WTForms ships no Vietnamese, so we supply it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def gettext(self, string: str) -> str:
        return gettext(string, lang=self.lang)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural, lang=self.lang)


def init_app(app: Flask) -> None:
    load_catalog()

    @app.context_processor
    def _inject():
        return {"_": gettext, "lang": get_language(), "languages": LANGUAGES}
