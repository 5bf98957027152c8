"""Running a CLI command inside the app, with configuration errors as one-line messages."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from survey_app.config import ConfigError


def make_app(*, web: bool = True, migrations: bool = True, **overrides):
    """The app with configuration ``overrides``; ``web=False`` without its pages,
    ``migrations=False`` without Flask-Migrate (:func:`survey_app.create_app`)."""
    from survey_app import create_app

    try:
        return create_app(overrides, web=web, migrations=migrations)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def with_app(func: Callable) -> Callable:
    """Run ``func`` inside an application context (the database is configured)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # no statement timeout: migrations and imports may run long on purpose
        with make_app(DB_STATEMENT_TIMEOUT=0).app_context():
            return func(*args, **kwargs)

    return wrapper
