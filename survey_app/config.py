"""Configuration from ``PARINDEX_*`` environment variables, validated before start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

EMBEDDED_BROKER = "embedded://"

#: Every variable ParIndex reads; any other ``PARINDEX_*`` name is a typo and stops start-up.
KNOWN_VARIABLES = {
    "PARINDEX_DATABASE_URL": "database URL (default: SQLite in the instance folder)",
    "PARINDEX_BROKER_URL": "Celery broker (default: embedded, no server)",
    "PARINDEX_SECRET_KEY": "session signing key (default: generated, kept in the instance folder)",
    "PARINDEX_INSTANCE_PATH": "folder for the SQLite database, secret key and uploads",
    "PARINDEX_BASE_URL": "public address used in invitation links",
    "PARINDEX_MAIL_SERVER": "SMTP host (default: none, mail goes to the instance mailbox)",
    "PARINDEX_MAIL_PORT": "SMTP port (default 25)",
    "PARINDEX_MAIL_USE_TLS": "STARTTLS on the SMTP connection (true/false)",
    "PARINDEX_MAIL_USERNAME": "SMTP user",
    "PARINDEX_MAIL_PASSWORD": "SMTP password",
    "PARINDEX_MAIL_SENDER": "From: address of invitations",
    "PARINDEX_JOB_REDISPATCH_SECONDS": "seconds a job may wait in the broker before it is "
    "sent again (default 120)",
    "PARINDEX_JOB_LEASE_SECONDS": "seconds a worker holds a job without renewing it before "
    "it is presumed dead (default 30)",
    "PARINDEX_MAIL_RETRY_SECONDS": "seconds before the first retry of a failed mail, "
    "doubled at each further attempt (default 60)",
    "PARINDEX_SCHEDULER_SILENT_SECONDS": "seconds without a scheduler tick before health "
    "checks report it silent (default 60)",
    "PARINDEX_DB_WAIT_SECONDS": "seconds 'rounds aggregate --wait' keeps trying an "
    "unreachable database (default 120)",
    "PARINDEX_ORPHAN_GRACE_SECONDS": "age after which an uploaded file with no row is "
    "removed by the sweep (default 3600)",
    "PARINDEX_TIMEZONE": "the ministry's time zone, for times shown and typed "
    "(IANA name, default Asia/Ho_Chi_Minh)",
    "PARINDEX_MINISTRY": "the ministry's name, printed at the head of results and scorecards "
    "(default: none)",
    "PARINDEX_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR (default INFO)",
    "PARINDEX_DB_CONNECT_TIMEOUT": "seconds to wait for a new PostgreSQL connection before the "
    "request answers 503 (default 5; PostgreSQL's driver waits at least 2)",
    "PARINDEX_DB_STATEMENT_TIMEOUT": "seconds one PostgreSQL statement of the web app or worker "
    "may run, also while the server does not answer at all (default 15; the CLI has none)",
    "PARINDEX_DB_BUSY_TIMEOUT": "seconds an SQLite writer waits for another's write lock, "
    "and a respondent's submit for its turn in the writer queue (default 10)",
    "PARINDEX_MIN_CELL_SIZE": "anonymity: fewest invited people behind each combination of "
    "the design variables a response carries, and fewest respondents behind a published "
    "group figure (default 5)",
    "PARINDEX_RATELIMIT_STORAGE_URL": "rate-limit counters (default: broker Redis, else a "
    "SQLite file in the instance folder)",
    "PARINDEX_LOGIN_LOCK_MINUTES": "longest pause of sign-in to an account after failed "
    "attempts (default 15)",
    "PARINDEX_TRUSTED_PROXIES": "reverse proxies in front whose X-Forwarded-* to trust (default 0)",
    "PARINDEX_MAX_UPLOAD_MB": "largest file read, uploaded or given to the CLI (default 20)",
    "PARINDEX_MAX_UNZIPPED_MB": "largest .xlsx workbook once unzipped, all parts (default 50)",
    "PARINDEX_MAX_UPLOAD_ROWS": "most rows in one sheet or CSV file (default 100000)",
    "PARINDEX_MAX_UPLOAD_COLUMNS": "most columns in one sheet or CSV file (default 300)",
    "PARINDEX_MAX_CELL_CHARS": "most characters in one cell of a sheet or CSV file (default 10000)",
    "PARINDEX_BENCH_WITHOUT": "benchmarks only: respondent fast paths to turn off, comma-"
    "separated (survey_app/core/fastpaths.py)",
    "PARINDEX_REQUIRE_SERVICES": "tests: fail instead of skip when PostgreSQL/Redis are down",
    "PARINDEX_TEST_DATABASE_URL": "tests: PostgreSQL server for the database tests",
    "PARINDEX_TEST_REDIS_URL": "tests: Redis server for the broker tests",
}

_BOOLEANS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


class ConfigError(RuntimeError):
    """A configuration variable is unknown or malformed; the message names it."""


def load_config(environ: Mapping[str, str] | None = None, instance_path: str | None = None) -> dict:
    """Read and validate the ``PARINDEX_*`` variables into Flask config keys."""
    env = dict(os.environ if environ is None else environ)
    unknown = sorted(k for k in env if k.startswith("PARINDEX_") and k not in KNOWN_VARIABLES)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting (known: {', '.join(KNOWN_VARIABLES)})")
    instance = Path(env.get("PARINDEX_INSTANCE_PATH") or instance_path or "instance").resolve()
    return {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(env, instance),
        "BROKER_URL": _broker_url(env),
        "SECRET_KEY": _secret_key(env, instance),
        "BASE_URL": _base_url(env),
        "JOB_REDISPATCH_SECONDS": _positive_int(env, "PARINDEX_JOB_REDISPATCH_SECONDS", 120),
        "JOB_LEASE_SECONDS": _positive_int(env, "PARINDEX_JOB_LEASE_SECONDS", 30),
        "MAIL_RETRY_SECONDS": _positive_int(env, "PARINDEX_MAIL_RETRY_SECONDS", 60),
        "SCHEDULER_SILENT_SECONDS": _positive_int(env, "PARINDEX_SCHEDULER_SILENT_SECONDS", 60),
        "DB_WAIT_SECONDS": _positive_int(env, "PARINDEX_DB_WAIT_SECONDS", 120),
        "ORPHAN_GRACE_SECONDS": _positive_int(env, "PARINDEX_ORPHAN_GRACE_SECONDS", 3600),
        **_database_timeouts(env),
        "LOG_LEVEL": _choice(
            env, "PARINDEX_LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"}
        ),
        "RATELIMIT_STORAGE_URI": _ratelimit_storage(env, instance),
        "LOGIN_LOCK_MINUTES": _whole(env, "PARINDEX_LOGIN_LOCK_MINUTES", 15),
        "TRUSTED_PROXIES": _count(env, "PARINDEX_TRUSTED_PROXIES", 0),
        "MIN_CELL_SIZE": _min_cell_size(env),
        "TIMEZONE": _timezone(env),
        "MINISTRY": (env.get("PARINDEX_MINISTRY") or "").strip()[:200],
        "UPLOAD_LIMITS": _upload_limits(env),
        **_mail(env, instance),
    }


def _database_url(env: dict, instance: Path) -> str:
    raw = env.get("PARINDEX_DATABASE_URL")
    if not raw:
        return f"sqlite:///{instance / 'parindex.sqlite'}"
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"PARINDEX_DATABASE_URL: not a database URL ({exc})") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError("PARINDEX_DATABASE_URL: use sqlite:///PATH or postgresql+psycopg://…")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() not in {
        "psycopg",
        "psycopg2",
    }:
        raise ConfigError(
            "PARINDEX_DATABASE_URL: PostgreSQL needs the psycopg driver (postgresql+psycopg://…)"
        )
    return raw


def _database_timeouts(env: dict) -> dict:
    """Bounds on waiting for the database (survey_app/core/dbtimeouts.py)."""
    return {
        "DB_CONNECT_TIMEOUT": _whole(env, "PARINDEX_DB_CONNECT_TIMEOUT", 5),
        "DB_STATEMENT_TIMEOUT": _whole(env, "PARINDEX_DB_STATEMENT_TIMEOUT", 15),
        "DB_BUSY_TIMEOUT": _whole(env, "PARINDEX_DB_BUSY_TIMEOUT", 10),
    }


def _broker_url(env: dict) -> str:
    raw = env.get("PARINDEX_BROKER_URL") or EMBEDDED_BROKER
    scheme = urlparse(raw).scheme
    if raw != EMBEDDED_BROKER and scheme not in {"redis", "rediss"}:
        raise ConfigError(
            "PARINDEX_BROKER_URL: use redis://HOST:PORT/DB or leave it unset "
            "for the embedded broker"
        )
    return raw


def _ratelimit_storage(env: dict, instance: Path) -> str:
    """Counters shared by every worker process: the broker's Redis unless told otherwise;
    in the embedded mode a SQLite file in the instance folder, which every process of the
    machine shares (it is also Redis's fallback: survey_app/core/limitstore.py).
    ``memory://`` counts per process (one-process use only)."""
    raw = env.get("PARINDEX_RATELIMIT_STORAGE_URL")
    if not raw:
        broker = _broker_url(env)
        if broker == EMBEDDED_BROKER:
            from survey_app.core.limitstore import COUNTERS_FILE

            return f"parindex-sqlite://{instance / COUNTERS_FILE}"
        return broker
    if raw != "memory://" and urlparse(raw).scheme not in {"redis", "rediss"}:
        raise ConfigError("PARINDEX_RATELIMIT_STORAGE_URL: use redis://HOST:PORT/DB or memory://")
    return raw


def _timezone(env: dict) -> str:
    from survey_app.core.times import DEFAULT_TIMEZONE, zone_or_none

    raw = env.get("PARINDEX_TIMEZONE") or DEFAULT_TIMEZONE
    if zone_or_none(raw) is None:
        raise ConfigError(f"PARINDEX_TIMEZONE: {raw!r} is not a time zone (e.g. Asia/Ho_Chi_Minh)")
    return raw


def _upload_limits(env: dict):
    """The bounds every file reader checks (survey_app/formats/limits.py, docs/FORMATS.md)."""
    from survey_app.formats.limits import MB, Limits

    default = Limits()
    return Limits(
        upload_bytes=_whole(env, "PARINDEX_MAX_UPLOAD_MB", default.upload_bytes // MB) * MB,
        unzipped_bytes=_whole(env, "PARINDEX_MAX_UNZIPPED_MB", default.unzipped_bytes // MB) * MB,
        rows=_whole(env, "PARINDEX_MAX_UPLOAD_ROWS", default.rows),
        columns=_whole(env, "PARINDEX_MAX_UPLOAD_COLUMNS", default.columns),
        cell_chars=_whole(env, "PARINDEX_MAX_CELL_CHARS", default.cell_chars),
    )


def _whole(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}: a whole number, at least 1")
    return int(raw)


def _count(env: dict, name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError(f"{name}: a whole number from 0 to 10")
    return int(raw)


def _secret_key(env: dict, instance: Path) -> str:
    raw = env.get("PARINDEX_SECRET_KEY")
    if raw is not None:
        if len(raw) < 32:
            raise ConfigError("PARINDEX_SECRET_KEY: too short, use at least 32 random characters")
        return raw
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _base_url(env: dict) -> str:
    raw = env.get("PARINDEX_BASE_URL", "http://127.0.0.1:5000")
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError("PARINDEX_BASE_URL: use http(s)://HOST[:PORT]")
    return raw.rstrip("/")


def _mail(env: dict, instance: Path) -> dict:
    port = env.get("PARINDEX_MAIL_PORT", "25")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("PARINDEX_MAIL_PORT: a port number between 1 and 65535")
    return {
        "MAIL_SERVER": env.get("PARINDEX_MAIL_SERVER") or None,
        "MAIL_PORT": int(port),
        "MAIL_USE_TLS": _boolean(env, "PARINDEX_MAIL_USE_TLS", False),
        "MAIL_USERNAME": env.get("PARINDEX_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("PARINDEX_MAIL_PASSWORD") or None,
        "MAIL_SENDER": env.get("PARINDEX_MAIL_SENDER", "parindex@localhost"),
        "MAIL_MAILBOX": str(instance / "mailbox"),
    }


def _boolean(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in _BOOLEANS:
        raise ConfigError(f"{name}: use true or false")
    return _BOOLEANS[raw.lower()]


def _choice(env: dict, name: str, default: str, allowed: set[str]) -> str:
    raw = (env.get(name) or default).upper()
    if raw not in allowed:
        raise ConfigError(f"{name}: one of {', '.join(sorted(allowed))}")
    return raw


def _min_cell_size(env: dict) -> int:
    raw = env.get("PARINDEX_MIN_CELL_SIZE")
    if raw is None or raw == "":
        return 5
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError("PARINDEX_MIN_CELL_SIZE: a whole number of people, at least 1")
    return int(raw)


def _positive_int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}: a whole number of seconds, at least 1")
    return int(raw)
