"""Keeping link tokens out of access logs: the requests that carry a token
(``/r/<token>``, ``/o/<token>``, ``/account/reset/<token>``) are logged as
``/r/[redacted]`` and so on by werkzeug and gunicorn."""

from __future__ import annotations

import logging
import re

_LINK = re.compile(r"(/[ro]/|/account/reset/)[A-Za-z0-9_.-]{6,}")
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
