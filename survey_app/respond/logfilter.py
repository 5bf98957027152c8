"""Keeping link tokens out of access logs: the one request that carries a token
(``GET /r/<token>``) is logged as ``/r/[redacted]`` by werkzeug and gunicorn."""

from __future__ import annotations

import logging
import re

_LINK = re.compile(r"(/[ro]/)[A-Za-z0-9_-]{6,}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(value):
    return _LINK.sub(r"\1[redacted]", value) if isinstance(value, str) else value


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) for k, v in record.args.items()}
        return True


def install() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
