"""Flask extensions, created unbound here and bound in :func:`survey_app.create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from survey_app.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
#: Storage comes from ``RATELIMIT_STORAGE_URI`` (see ``survey_app/core/ratelimits.py``).
LIMITS_KEY_PREFIX = "parindex-limits"
limiter = Limiter(get_remote_address, key_prefix=LIMITS_KEY_PREFIX, strategy="fixed-window")
