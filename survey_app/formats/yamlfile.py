"""YAML loading that remembers the line of every mapping, for problem reports.

Bounded before any Python object is built: the composer refuses aliases (``*name``, the
"billion laughs" that ``str()`` would expand), more than :data:`YAML_MAX_NODES` nodes and
nesting deeper than :data:`YAML_MAX_DEPTH`; the text itself is at most ``YAML_MAX_BYTES``.
"""

from __future__ import annotations

from typing import Any

import yaml

from survey_app.formats.limits import (
    TOO_BIG,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    YAML_MAX_NODES,
    megabytes,
)
from survey_app.formats.problems import InvalidFile, Problem, say

LINE = "__line__"


class _Refused(yaml.YAMLError):
    def __init__(self, mark, message: str) -> None:
        super().__init__(message)
        self.problem_mark, self.message = mark, message


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _Refused(mark, say("aliases (*name) are not allowed; write the value out"))
        self._nodes += 1
        if self._nodes > YAML_MAX_NODES:
            message = say("more than {limit} values", limit=YAML_MAX_NODES)
            raise _Refused(self.peek_event().start_mark, message)
        self._depth += 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(
                    mark, say("nested more than {limit} levels deep", limit=YAML_MAX_DEPTH)
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def load_yaml(text: str, name: str) -> dict[str, Any]:
    """Parse ``text``; a syntax error or a non-mapping top level is an :class:`InvalidFile`."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > YAML_MAX_BYTES:
        raise InvalidFile(
            name,
            [Problem("file", say(TOO_BIG, size=megabytes(size), limit=megabytes(YAML_MAX_BYTES)))],
        )
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except _Refused as exc:
        where = f"line {exc.problem_mark.line + 1}"
        raise InvalidFile(name, [Problem(where, exc.message)]) from None
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
