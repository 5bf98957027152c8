"""XLSForm-style ``relevant`` conditions, the simple kind: ``${Q01} >= 3 and ${Q02} != 9``.

Supported: ``${CODE} OP NUMBER`` (OP one of = != < <= > >=; the number may be quoted),
joined by ``and`` / ``or`` (``and`` binds tighter), no parentheses. Anything else is a
:class:`ConditionError`, reported when the questionnaire is imported. An item not
answered, or answered "don't know", makes its comparisons false (as an empty value
does in ODK).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping

_COMPARISON = re.compile(r"^\$\{([A-Za-z_][\w.-]*)\}\s*(>=|<=|!=|=|<|>)\s*'?(-?\d+)'?$")
_JOINERS = re.compile(r"\s+(and|or)\s+")
_OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

#: A condition in disjunctive form: any of the groups holds if all its comparisons hold.
Condition = tuple[tuple[tuple[str, str, int], ...], ...]


class ConditionError(ValueError):
    """The condition is outside the supported subset; the message says what is wrong."""


def parse_condition(text: str) -> Condition:
    """Parse ``text`` into a :data:`Condition`."""
    parts = _JOINERS.split(text.strip())
    groups: list[list[tuple[str, str, int]]] = [[]]
    for i, part in enumerate(parts):
        if i % 2:
            if part == "or":
                groups.append([])
            continue
        match = _COMPARISON.match(part.strip())
        if match is None:
            raise ConditionError(
                f"unsupported condition '{part.strip()}': use ${{CODE}} >= NUMBER, "
                "joined by 'and' / 'or' (no parentheses or functions)"
            )
        code, op, value = match.groups()
        groups[-1].append((code, op, int(value)))
    return tuple(tuple(g) for g in groups)


def referenced_items(condition: Condition) -> set[str]:
    return {code for group in condition for code, _, _ in group}


def holds(condition: Condition, answers: Mapping[str, int]) -> bool:
    """Whether the condition holds for ``answers`` (code → value, "don't know" left out)."""
    return any(
        all(code in answers and _OPS[op](answers[code], value) for code, op, value in group)
        for group in condition
    )
