"""Helpers shared by the CLI commands: JSON output and one-line errors."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def _clean(value: Any) -> Any:
    """Replace nan/inf by None so the JSON stays valid (null is R's NA)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _clean(value.item())
    return value


def write_json(payload: Any, target: str) -> None:
    """Write ``payload`` as UTF-8 JSON to ``target`` (a path, or ``-`` for stdout)."""
    text = json.dumps(_clean(payload), ensure_ascii=False, indent=1)
    if target == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
