"""Flask extensions, created unbound here and bound in :func:`survey_app.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from survey_app.core.db import Base

if TYPE_CHECKING:
    from flask_migrate import Migrate

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
#: Storage comes from ``RATELIMIT_STORAGE_URI`` (see ``survey_app/core/ratelimits.py``).
LIMITS_KEY_PREFIX = "parindex-limits"
limiter = Limiter(get_remote_address, key_prefix=LIMITS_KEY_PREFIX, strategy="fixed-window")


def __getattr__(name: str) -> Migrate:
    """``migrate``, made on first use: Flask-Migrate imports Alembic (0.1 s of every
    start), which only an app that migrates needs (``create_app(migrations=False)``)."""
    if name != "migrate":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from flask_migrate import Migrate

    globals()["migrate"] = made = Migrate()
    return made
