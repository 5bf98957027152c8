"""Keeping link tokens out of every log: respondent links (``/r/``, ``/o/``) and password
reset links (``/account/reset/``) are logged as ``/r/[redacted]`` and so on.

It is done where every record is made (:func:`logging.setLogRecordFactory`), so it holds
for every logger and handler of the process — werkzeug's and gunicorn's access and error
logs, Flask's ``Exception on /r/… [GET]``, Celery, our own — and for the traceback of a
logged exception. Text is percent-decoded before matching (gunicorn logs the raw request
line, so ``/r/abc%2Ddef`` or ``/%72/abc…`` once kept most of a token), and while a request
for a link is handled, that link's token (and any 20-character prefix of it) is removed
wherever it appears, with or without its path (an exception message, say), also in the
lines its thread logs after the request (werkzeug's error, gunicorn's access log).
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import unquote

from flask import Flask, request

REDACTED = "[redacted]"
#: A link path and its token, in decoded text.
_LINK = re.compile(r"(/[ro]/|/account/reset/)[^\s/?#\"'<>\[\](),;|\\]{6,}")
#: Cheap test for text that may hold a link, encoded or not.
_MAYBE = re.compile(r"/[ro]/|/account/reset/|%[0-9A-Fa-f]{2}")
_WORD = re.compile(r"\S+")
#: The shortest part of a token that is still removed from a record.
SHORTEST_PART = 20


def redact(value, tokens: tuple[str, ...] = ()):
    """``value`` with every link token replaced by ``[redacted]`` (non-strings as given)."""
    if not isinstance(value, str):
        return value
    for token in tokens:
        value = _without(value, token)
    if not _MAYBE.search(value):
        return value
    return _WORD.sub(_redact_word, value)


def _redact_word(match: re.Match) -> str:
    word = match.group(0)
    decoded = _decoded(word)
    if decoded is word and "/" not in word:
        return word
    return _LINK.sub(r"\1" + REDACTED, decoded) if _LINK.search(decoded) else word


def _decoded(word: str) -> str:
    """``word`` percent-decoded until it no longer changes (at most three times)."""
    for _ in range(3):
        if "%" not in word:
            break
        once = unquote(word)
        if once == word:
            break
        word = once
    return word


def _without(text: str, token: str) -> str:
    """``text`` without ``token`` or any prefix of it of :data:`SHORTEST_PART` or more."""
    for length in range(len(token), SHORTEST_PART - 1, -1):
        if token[:length] in text:
            text = text.replace(token[:length], REDACTED)
    return text


_serving = threading.local()


def note_request_token() -> None:
    """``before_request``: remember the token of the link this thread serves, until its
    next request, so the lines logged after the request ends (werkzeug's "Error on
    request" traceback, gunicorn's access and error logs) lose it too."""
    token = (request.view_args or {}).get("token")
    _serving.tokens = (token,) if isinstance(token, str) and len(token) >= SHORTEST_PART else ()


def _request_tokens() -> tuple[str, ...]:
    return getattr(_serving, "tokens", ())


_traceback_formatter = logging.Formatter()


def scrub(record: logging.LogRecord) -> None:
    """Redact ``record``'s message, arguments, exception text and stack in place."""
    tokens = _request_tokens()
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a malformed call: logging reports it when it emits)
        return
    clean = redact(message, tokens)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when set, so the traceback is written already redacted.
        record.exc_text = redact(_traceback_formatter.formatException(record.exc_info), tokens)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, tokens)


def init_app(app: Flask) -> None:
    """Redact every record of this process, and the current link's token from them."""
    app.before_request_funcs.setdefault(None, []).insert(0, note_request_token)
    install()


def install() -> None:
    """Redact every record made from now on, in this process (once, however often called)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_links", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub(record)
        return record

    make_record.redacts_links = True
    logging.setLogRecordFactory(make_record)
