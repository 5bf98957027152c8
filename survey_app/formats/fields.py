"""Small typed readers of YAML/CSV fields that record a problem instead of raising."""

from __future__ import annotations

import math
from typing import Any

from survey_app.formats.problems import Collector


def text(c: Collector, node: dict, key: str, where: str, required: bool = True) -> str:
    value = node.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            c.add(where, "'{key}' is missing", key=key)
        return ""
    return str(value).strip()


def code(c: Collector, node: dict, key: str, where: str, label: str) -> str:
    """A code: text, or a whole number. A float is refused: YAML reads ``1.10`` as 1.1,
    so an unquoted dotted code may already have lost a digit (FORMATS.md: codes are strings).
    """
    value = node.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or value == "":
        c.add(where, "'{key}' is missing", key=key)
    else:
        c.add(where, "{label} {value!r} must be a quoted string", label=label, value=value)
    return ""


def bilingual(c: Collector, node: dict, key: str, where: str) -> tuple[str, str]:
    """A ``{vi: …, en: …}`` pair; both languages are required."""
    value = node.get(key)
    if not isinstance(value, dict):
        c.add(where, "'{key}' must be a mapping {{vi: …, en: …}}", key=key)
        return "", ""
    return text(c, value, "vi", f"{where} {key}"), text(c, value, "en", f"{where} {key}")


def number(
    c: Collector,
    value: Any,
    label: str,
    where: str,
    *,
    minimum: float | None = None,
    exclusive: bool = False,
    maximum: float | None = None,
) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        c.add(where, "{label} must be a number, got {value!r}", label=label, value=value)
        return None
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        c.add(
            where,
            "{label} must be {op} {minimum:g}, got {value:g}",
            label=label,
            op=">" if exclusive else "≥",
            minimum=minimum,
            value=value,
        )
        return None
    if maximum is not None and value > maximum:
        c.add(
            where,
            "{label} must be ≤ {maximum:g}, got {value:g}",
            label=label,
            maximum=maximum,
            value=value,
        )
        return None
    return float(value)


def integer(
    c: Collector, value: Any, label: str, where: str, minimum: int | None = None
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        c.add(where, "{label} must be a whole number, got {value!r}", label=label, value=value)
        return None
    if minimum is not None and value < minimum:
        c.add(
            where,
            "{label} must be ≥ {minimum}, got {value}",
            label=label,
            minimum=minimum,
            value=value,
        )
        return None
    return value


def items_list(c: Collector, node: dict, key: str, where: str) -> list:
    value = node.get(key)
    if not isinstance(value, list) or not value:
        c.add(where, "'{key}' must be a non-empty list", key=key)
        return []
    return value
