"""YAML loading that remembers the line of every mapping, for problem reports."""

from __future__ import annotations

from typing import Any

import yaml

from survey_app.formats.problems import InvalidFile, Problem

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def load_yaml(text: str, name: str) -> dict[str, Any]:
    """Parse ``text``; a syntax error or a non-mapping top level is an :class:`InvalidFile`."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise InvalidFile(name, [Problem(where, "not valid YAML ({exc})", exc=exc)]) from None
    if not isinstance(data, dict):
        raise InvalidFile(name, [Problem("line 1", "expected a mapping at the top level")])
    return data


def where(node: Any, path: str) -> str:
    """``line N (path)`` for a mapping read by :func:`load_yaml`."""
    line = node.get(LINE) if isinstance(node, dict) else None
    return f"line {line} ({path})" if line else path
