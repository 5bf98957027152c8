"""How big an input file may be: every reader checks these before, and while, it parses."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.formats.problems import InvalidFile, Problem, say

MB = 1024 * 1024

#: An .xlsx holds a few dozen parts; thousands of them are not a workbook a person saved.
XLSX_MAX_MEMBERS = 1_000
#: A part that unzips to more than this many times its stored size (and to more than
#: :data:`XLSX_RATIO_FLOOR`) is a decompression bomb: real sheets compress 5–50×.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FLOOR = 1 * MB
#: Questionnaires and criteria sets are tens of kilobytes; YAML is parsed in pure Python.
YAML_MAX_BYTES = 2 * MB
YAML_MAX_NODES = 200_000
YAML_MAX_DEPTH = 50


@dataclass(frozen=True)
class Limits:
    """The settings ``PARINDEX_MAX_UPLOAD_MB`` … (see docs/FORMATS.md), with their defaults."""

    #: A file as uploaded (or given to the CLI), before anything reads it.
    upload_bytes: int = 20 * MB
    #: An .xlsx once unzipped: all its parts together, hence also any one of them.
    unzipped_bytes: int = 50 * MB
    #: Rows of one sheet or CSV file, header excluded.
    rows: int = 100_000
    #: Columns of one sheet or CSV file.
    columns: int = 300
    #: Characters in one cell.
    cell_chars: int = 10_000


def current() -> Limits:
    """The running app's limits (``UPLOAD_LIMITS``), else the defaults (outside an app)."""
    try:
        from flask import current_app

        return current_app.config.get("UPLOAD_LIMITS") or Limits()
    except RuntimeError:  # no application context: a script or a pure test
        return Limits()


def megabytes(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} kB"


LONG_CELL = "a cell of {n} characters; at most {limit}"
TOO_BIG = "is {size}; at most {limit} is read"
NOT_UTF8 = "is not UTF-8 text: save the file as “CSV UTF-8” (or UTF-8)"


def _too_big(size: int, limit: int) -> str:
    return say(TOO_BIG, size=megabytes(size), limit=megabytes(limit))


def check_size(data: bytes, name: str, limit: int | None = None) -> None:
    """A file over ``limit`` bytes (default: the upload limit) is refused unread."""
    limit = limit or current().upload_bytes
    if len(data) > limit:
        raise InvalidFile(
            name,
            [Problem("file", _too_big(len(data), limit))],
        )


def decode_text(data: bytes, name: str, limit: int | None = None) -> str:
    """UTF-8 text of a bounded file (an Excel BOM dropped); anything else is a problem
    that says where the first undecodable byte is."""
    check_size(data, name, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidFile(
            name,
            [Problem(f"line {line}", say(NOT_UTF8))],
        ) from None


def read_path(path, name: str | None = None) -> bytes:
    """A file given to the CLI, read only if its size is within the upload limit."""
    from pathlib import Path

    p = Path(path)
    limit = current().upload_bytes
    size = p.stat().st_size
    if size > limit:
        raise InvalidFile(
            name or str(path),
            [Problem("file", _too_big(size, limit))],
        )
    return p.read_bytes()


def read_path_text(path, name: str | None = None) -> str:
    """:func:`read_path`, decoded as :func:`decode_text` does."""
    return decode_text(read_path(path, name), name or str(path))
