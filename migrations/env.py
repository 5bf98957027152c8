"""Alembic environment: runs migrations on the app's configured database."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _db():
    return current_app.extensions["migrate"].db


def _options() -> dict:
    opts = dict(current_app.extensions["migrate"].configure_args)
    opts.setdefault("compare_type", True)
    opts.setdefault("render_as_batch", True)
    return opts


def run_migrations_offline() -> None:
    context.configure(
        url=str(_db().engine.url), target_metadata=_db().metadata, literal_binds=True, **_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = _db().engine
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=_db().metadata, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
