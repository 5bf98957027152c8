"""Vietnamese and English: the language of a request and the gettext catalogues.

Messages are written in English in code and templates, through ``_()``
(``from survey_app.i18n import gettext as _``) with ``{name}`` keyword placeholders.
Their Vietnamese is in the gettext catalogue ``survey_app/translations/vi/LC_MESSAGES/
messages.po``, compiled to ``messages.mo`` by ``make install`` (``pybabel compile``).
Flask-Babel is configured with the same directory and the same language choice, so its
``format_decimal``/``format_datetime`` and Jinja filters speak the request's language.
How to add a string: docs/TRANSLATIONS.md.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask
from flask.globals import _cv_request

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
log = logging.getLogger(__name__)

#: One loaded catalogue per language for the life of the process (Flask-Babel caches the
#: same way): a lookup is a dict lookup, never a file read.
_LOADED: dict[str, NullTranslations] = {}


def _load(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang``; compiled in memory from the .po when the .mo is
    missing or older (a checkout where ``make install`` has not run since the last edit)."""
    folder = TRANSLATIONS_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    log.warning("%s is missing or stale: compiling %s in memory (run `make install`)", mo, po)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def translations(lang: str) -> NullTranslations:
    """Babel's ``Translations`` of ``lang`` (loaded once per process)."""
    found = _LOADED.get(lang)
    if found is None:
        found = _LOADED[lang] = _load(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    return found


def load_catalog() -> dict[str, str]:
    """The Vietnamese messages as a plain dict (English → Vietnamese), read from the loaded
    catalogue: for tests and scripts written when the catalogue was JSON. Code translates
    with :func:`gettext`."""
    catalogue = getattr(translations("vi"), "_catalog", {})
    return {k: v for k, v in catalogue.items() if isinstance(k, str) and k}


def get_language() -> str:
    """The request's language: ``?lang=``, then the session, then Vietnamese.

    Outside a request (the CLI, the worker) the language is Vietnamese unless a caller
    passes one explicitly. Decided once per request and kept on the request context: every
    ``_()`` asks, so this is one context-variable read, not a ``g`` proxy lookup."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return DEFAULT_LANGUAGE
    lang = getattr(ctx, "parindex_lang", None)
    if lang:
        return lang
    asked = ctx.request.args.get("lang")
    if asked in LANGUAGES:
        ctx.session["lang"] = asked
    lang = ctx.session.get("lang")
    lang = ctx.parindex_lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return lang


def gettext(message: str, lang: str | None = None, **params) -> str:
    """Translate ``message`` (English) into the request's language; format ``params``."""
    text = translations(lang or get_language()).gettext(message)
    return text.format(**params) if params else text


def pgettext(context: str, message: str, lang: str | None = None, **params) -> str:
    """:func:`gettext` of ``message`` in ``context``, for one English word that needs two
    Vietnamese ones (``final`` run vs ``final`` assessment)."""
    text = translations(lang or get_language()).pgettext(context, message)
    return text.format(**params) if params else text


def _plural(catalogue: NullTranslations, singular: str, plural: str, n: int) -> str:
    """A plural entry (msgid_plural), or else the entry of the English form ``n`` calls for
    (WTForms' messages are in the catalogue as two plain entries)."""
    text = catalogue.ngettext(singular, plural, n)
    if text == singular or text == plural:
        return catalogue.gettext(singular if n == 1 else plural)
    return text


def ngettext(singular: str, plural: str, n: int, lang: str | None = None, **params) -> str:
    text = _plural(translations(lang or get_language()), singular, plural, n)
    return text.format(n=n, **params)


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark ``message`` for extraction where it is defined; translate it where it is shown."""
    return message


class FormTranslations:
    """WTForms ``translations`` object: WTForms' own messages and ours, from the catalogue."""

    def __init__(self, lang: str) -> None:
        self.catalogue = translations(lang)

    def gettext(self, string: str) -> str:
        return self.catalogue.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _plural(self.catalogue, singular, plural, n)


def init_app(app: Flask) -> None:
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=get_language)
    for lang in LANGUAGES:
        translations(lang)
    # Flask-Babel installs %-style callables; ours take {name} keyword parameters.
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext)

    @app.context_processor
    def _inject():
        return {"lang": get_language(), "languages": LANGUAGES}
