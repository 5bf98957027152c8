"""Flask extensions, created unbound here and bound in :func:`survey_app.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from survey_app.core.db import Base

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_migrate import Migrate

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
#: Storage comes from ``RATELIMIT_STORAGE_URI`` (see ``survey_app/core/ratelimits.py``).
LIMITS_KEY_PREFIX = "parindex-limits"


def __getattr__(name: str) -> Migrate | Limiter:
    """``migrate`` and ``limiter``, made on first use: Flask-Migrate imports Alembic and
    Flask-Limiter its storage backends (0.1 s of every start each), which only an app that
    migrates or serves pages needs (``create_app``'s ``migrations`` and ``web``)."""
    if name == "migrate":
        from flask_migrate import Migrate

        made = Migrate()
    elif name == "limiter":
        from flask_limiter import Limiter
        from flask_limiter.util import get_remote_address

        made = Limiter(get_remote_address, key_prefix=LIMITS_KEY_PREFIX, strategy="fixed-window")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = made
    return made
