"""ParIndex web application (Flask): the app factory.

Flask, SQLAlchemy and the extensions are imported by :func:`create_app`, not with the
package, so that ``parindex estimate`` and ``parindex index`` (which import
``survey_app.cli``) start without them.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

# numpy asks the kernel for transparent huge pages for every large array (madvise). Where
# THP defragmentation is "madvise" (Debian's default), a fresh array may then wait for the
# kernel to compact and zero 2 MB pages: the two-stage estimate took 1.31–1.46× the base
# design's time with it and 1.09–1.13× without, the base design no slower (issue 18,
# docs/OPERATIONS.md). numpy's documented switch, read when numpy is first imported, which
# every entry point (``parindex``, ``survey_app.wsgi``, the worker) does after this line;
# an operator's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

if TYPE_CHECKING:
    from flask import Flask


def _database_id():
    """``<int:…>`` in our routes: an id that cannot be in an INTEGER column (above
    2³¹ − 1) matches no route (404) instead of failing in the database (500)."""
    from werkzeug.routing import IntegerConverter

    class DatabaseId(IntegerConverter):
        def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    return DatabaseId


def create_app(
    config_overrides: dict[str, Any] | None = None, *, web: bool = True, migrations: bool = True
) -> Flask:
    """Build the app from ``PARINDEX_*`` variables, then ``config_overrides`` (tests).

    ``web=False``: without the pages (blueprints, a third of the start-up), for a command
    that only reads and writes the database and never builds a URL. ``migrations=False``:
    without Flask-Migrate (Alembic: a tenth of a second), for a command that never
    changes the schema."""
    from flask import Flask

    from survey_app.config import load_config
    from survey_app.core import dbtimeouts

    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = _database_id()
    overrides = dict(config_overrides or {})
    app.config.update(load_config(instance_path=overrides.get("INSTANCE_PATH", app.instance_path)))
    app.config.update(
        # Above the upload limit, so a file a little too big gets the problem list (formats/
        # limits.py), not a bare 413.
        MAX_CONTENT_LENGTH=max(32 * 1024 * 1024, app.config["UPLOAD_LIMITS"].upload_bytes * 2),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # FLASK_DEBUG in the environment must not turn a production server into a
        # debugging one; only an explicit override (a developer's own script) can.
        DEBUG=False,
    )
    app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", dbtimeouts.engine_options(app.config))
    app.instance_path = app.config["INSTANCE_PATH"]
    logging.getLogger("survey_app").setLevel(app.config["LOG_LEVEL"])
    _init_extensions(app, migrations, web)
    if web:
        _register_blueprints(app)
    return app


def _init_extensions(app: Flask, migrations: bool = True, web: bool = True) -> None:
    from survey_app import models  # noqa: F401  (registers every table on the metadata)
    from survey_app.core import (
        dbtimeouts,
        outages,
        redaction,
        security,
        sqlite,
        storable,
    )
    from survey_app.extensions import csrf, db

    redaction.init_app(app)
    storable.install()
    security.init_app(app)
    if web:  # no pages, no rate limits (and no Flask-Limiter to import)
        from survey_app.core import ratelimits

        ratelimits.init_app(app)
    db.init_app(app)
    if migrations:
        from survey_app.extensions import migrate

        migrate.init_app(
            app, db, directory=_migrations_dir(), render_as_batch=True, compare_type=True
        )
    csrf.init_app(app)
    security.use_fast_csrf_tokens(app)
    outages.init_app(app)
    with app.app_context():
        sqlite.configure(db.engine, app.config["DB_BUSY_TIMEOUT"])
        dbtimeouts.configure(db.engine, app.config["DB_STATEMENT_TIMEOUT"])
    from survey_app import i18n
    from survey_app.core import numbers, times

    i18n.init_app(app)
    times.init_app(app)
    numbers.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from survey_app.accounts.auth import load_user
    from survey_app.accounts.views import bp as accounts_bp
    from survey_app.assessments.views import bp as assessments_bp
    from survey_app.criteria.views import bp as criteria_bp
    from survey_app.main import navigation
    from survey_app.main.views import bp as main_bp
    from survey_app.questionnaires.views import bp as questionnaires_bp
    from survey_app.responses.views import bp as respond_bp
    from survey_app.results.blueprints import register as register_results
    from survey_app.rounds.views import bp as rounds_bp
    from survey_app.units.views import bp as units_bp
    from survey_app.users.views import bp as users_bp

    app.before_request(load_user)
    navigation.init_app(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(questionnaires_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(criteria_bp)
    app.register_blueprint(users_bp)
    register_results(app)


def _migrations_dir() -> str:
    import migrations

    return str(migrations.__path__[0])
