"""Problems found in an input file: every one is reported, none stops the search early."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, with where it is (``line 12``, ``row 5``, ``path``)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


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

    def report(self) -> str:
        return "\n".join([str(self)] + [f"  {p}" for p in self.problems])


class Collector:
    """Gathers problems while a file is read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def raise_if_any(self, name: str) -> None:
        if self.problems:
            raise InvalidFile(name, self.problems)
