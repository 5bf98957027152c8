"""Problems found in an input file: every one is reported, none stops the search early.

A problem's message is an English template with ``{name}`` parameters: the command line
prints it in English (``str``); pages show :meth:`Problem.text` in the reader's language,
translated through the catalogue at display time.
"""

from __future__ import annotations

import re

from survey_app.i18n import N_, gettext

#: ``where`` as the readers write it, and how it is said in the catalogue.
_WHERE = (
    (re.compile(r"^line (?P<n>\d+) \((?P<path>.*)\)$"), N_("line {n} ({path})")),
    (re.compile(r"^row (?P<n>\d+)$"), N_("row {n}")),
    (re.compile(r"^column (?P<name>\S+)$"), N_("column {name}")),
    (re.compile(r"^cell (?P<cell>.+)$"), N_("cell {cell}")),
    (
        re.compile(r"^(?P<sheet>settings|choices|survey) row (?P<n>\d+)$"),
        N_("{sheet} sheet, row {n}"),
    ),
)
#: Places that are not a line or a row.
_PLACES = (N_("file"), N_("workbook"), N_("top level"), N_("code"))


def where_text(where: str, lang: str | None = None) -> str:
    """``row 5`` → ``dòng 5``; a path or a sheet name stays as it is in the file."""
    for pattern, template in _WHERE:
        m = pattern.match(where)
        if m:
            parts = m.groupdict()
            if "path" in parts:
                parts["path"] = gettext(parts["path"], lang)  # "top level"
            return gettext(template, lang, **parts)
    return gettext(where, lang) if where in _PLACES else where


class Phrase:
    """A translatable message with parameters used inside a problem (a refusal's reason)."""

    __slots__ = ("message", "params")

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params

    def __str__(self) -> str:
        return self.message.format(**self.params) if self.params else self.message

    def text(self, lang: str | None = None) -> str:
        return gettext(self.message, lang, **self.params)


def _said(value, lang: str | None):
    """A parameter in the reader's language: phrases and known words are translated."""
    if isinstance(value, Phrase):
        return value.text(lang)
    return gettext(value, lang) if isinstance(value, str) else value


class Problem:
    """One thing wrong with a file, with where it is (``line 12``, ``row 5``, ``path``)."""

    __slots__ = ("where", "message", "params")

    def __init__(self, where: str, message: str, **params) -> None:
        self.where = where
        self.message = message
        self.params = params

    def __str__(self) -> str:
        """In English, for the command line and logs."""
        params = {k: str(v) if isinstance(v, Phrase) else v for k, v in self.params.items()}
        message = self.message.format(**params) if params else self.message
        return f"{self.where}: {message}"

    def text(self, lang: str | None = None) -> str:
        """In the reader's language (the request's, unless ``lang`` is given)."""
        params = {k: _said(v, lang) for k, v in self.params.items()}
        return gettext(
            "{where}: {problem}",
            lang,
            where=where_text(self.where, lang),
            problem=gettext(self.message, lang, **params),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.where, self.message, self.params) == (
            other.where,
            other.message,
            other.params,
        )

    def __hash__(self) -> int:
        return hash((self.where, self.message))

    def __repr__(self) -> str:
        return f"Problem({self.where!r}, {self.message!r}, **{self.params!r})"


class Notice(str):
    """A warning about a file that was still imported, at one or more places: an English
    sentence (it *is* the ``str``, for the CLI and logs) that :meth:`text` says in the
    reader's language."""

    SHOWN = 6

    def __new__(cls, places: list[str], message: str, **params) -> Notice:
        more = len(places) - cls.SHOWN
        where = ", ".join(places[: cls.SHOWN]) + (f" and {more} more" if more > 0 else "")
        english = message.format(**params) if params else message
        notice = super().__new__(cls, f"{where}: {english}")
        notice.places, notice.message, notice.params = list(places), message, params
        return notice

    def text(self, lang: str | None = None) -> str:
        more = len(self.places) - self.SHOWN
        where = ", ".join(where_text(p, lang) for p in self.places[: self.SHOWN])
        if more > 0:
            where += gettext(" and {n} more", lang, n=more)
        return gettext(
            "{where}: {problem}",
            lang,
            where=where,
            problem=gettext(self.message, lang, **self.params),
        )


def say(message: str, **params) -> str:
    """A problem's text: translated on a page (``i18n/vi``), English in the CLI.
    ``message`` has ``{name}`` placeholders, so the catalogue holds it unformatted."""
    from flask import has_request_context

    if has_request_context():
        from survey_app.i18n import gettext

        return gettext(message, **params)
    return message.format(**params)


class InvalidFile(ValueError):
    """A file has problems; nothing was imported. ``problems`` lists all of them."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: {len(problems)} problem(s), nothing imported")

    def summary(self, lang: str | None = None) -> str:
        """``units.csv: 3 problems, nothing imported`` in the reader's language."""
        return gettext(
            "{name}: {n} problem(s), nothing imported", lang, name=self.name, n=len(self.problems)
        )

    def texts(self, lang: str | None = None) -> list[str]:
        """Every problem in the reader's language."""
        return [p.text(lang) for p in self.problems]

    def report(self) -> str:
        return "\n".join([str(self)] + [f"  {p}" for p in self.problems])


class Collector:
    """Gathers problems while a file is read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, **params) -> None:
        self.problems.append(Problem(where, message, **params))

    def raise_if_any(self, name: str) -> None:
        if self.problems:
            raise InvalidFile(name, self.problems)
