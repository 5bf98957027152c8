"""Read the files of ``parindex index`` (FORMATS.md) into :mod:`aggregation.inputs` objects.

A thin loader: it checks shapes and types and turns each problem into a one-line
:class:`click.ClickException` naming the file (and line); the meaning of the codes is
checked by :func:`aggregation.validate.validate_inputs`.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np
import pandas as pd
import yaml

from aggregation.inputs import (
    Area,
    BonusPenalty,
    CriteriaSet,
    Criterion,
    Responses,
    Scale,
    SelfScore,
    Subcriterion,
)

RESPONSE_COLUMNS = ("unit", "group", "stratum", "psu", "weight")


def _fail(path, message: str) -> click.ClickException:
    return click.ClickException(f"{Path(path).name}: {message}")


def _yaml(path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(path, f"cannot read YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise _fail(path, "expected a mapping at the top level")
    return data


def _key(path, mapping: dict, key: str, where: str = ""):
    if not isinstance(mapping, dict) or key not in mapping:
        raise _fail(path, f"missing key {key!r}{where}")
    return mapping[key]


def _code(path, value, what: str) -> str:
    # Codes are strings (FORMATS.md); an unquoted 1.1 would already have lost "1.10".
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _fail(path, f"{what} {value!r} must be a quoted string")


def _number(path, value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"{what} is not a number: {value!r}")
    return float(value)


def load_criteria_set(path) -> CriteriaSet:
    """A criteria set YAML (FORMATS.md) → :class:`CriteriaSet`."""
    data = _yaml(path)
    weights = _key(path, data, "group_weights")
    if not isinstance(weights, dict):
        raise _fail(path, "group_weights must map group → weight")
    min_n = _number(path, _key(path, data, "min_group_respondents"), "min_group_respondents")
    return CriteriaSet(
        code=_code(path, _key(path, data, "code"), "code"),
        unit_kind=_code(path, _key(path, data, "unit_kind"), "unit_kind"),
        min_group_respondents=int(min_n),
        group_weights={str(g): _number(path, w, f"weight of {g}") for g, w in weights.items()},
        areas=tuple(_area(path, a) for a in _key(path, data, "areas")),
        bonus_cap=_optional_number(path, data, "bonus_cap"),
        penalty_cap=_optional_number(path, data, "penalty_cap"),
    )


def _optional_number(path, data: dict, key: str) -> float | None:
    return None if data.get(key) is None else _number(path, data[key], key)


def _area(path, data) -> Area:
    code = _code(path, _key(path, data, "code", " in an area"), "area code")
    crits = _key(path, data, "criteria", f" in area {code}")
    return Area(code=code, criteria=tuple(_criterion(path, c) for c in crits))


def _criterion(path, data) -> Criterion:
    code = _code(path, _key(path, data, "code", " in a criterion"), "criterion code")
    subs = _key(path, data, "subcriteria", f" in criterion {code}")
    return Criterion(code=code, subcriteria=tuple(_subcriterion(path, s) for s in subs))


def _subcriterion(path, data) -> Subcriterion:
    code = _code(path, _key(path, data, "code", " in a sub-criterion"), "sub-criterion code")
    where = f" in sub-criterion {code}"
    items = data.get("items") or ()
    return Subcriterion(
        code=code,
        source=str(_key(path, data, "source", where)),
        max_points=_number(path, _key(path, data, "max_points", where), f"max_points of {code}"),
        items=tuple(_code(path, i, f"item of {code}") for i in items),
    )


def load_questionnaire(path) -> dict[str, Scale]:
    """A questionnaire YAML → item code → :class:`Scale` (``missing`` levels → ``None``)."""
    data = _yaml(path)
    scales = {
        name: _scale(path, name, levels) for name, levels in _key(path, data, "scales").items()
    }
    out = {}
    for section in _key(path, data, "sections"):
        for item in _key(path, section, "items", " in a section"):
            code = _code(path, _key(path, item, "code", " in an item"), "item code")
            scale = _key(path, item, "scale", f" in item {code}")
            if scale not in scales:
                raise _fail(path, f"item {code} uses unknown scale {scale!r}")
            out[code] = scales[scale]
    return out


def _scale(path, name: str, levels) -> Scale:
    scores = {}
    for level in levels:
        value = _number(path, _key(path, level, "value", f" in scale {name}"), f"value in {name}")
        if level.get("missing"):
            scores[value] = None
        else:
            scores[value] = _number(
                path,
                _key(path, level, "score", f" in scale {name}"),
                f"score of {name} level {value:g}",
            )
    return Scale(scores=scores)


def _csv(path, required) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot read CSV ({exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(path, f"missing column(s) {', '.join(missing)}")
    return df.apply(lambda col: col.str.strip())


def _numbers(path, df: pd.DataFrame, column: str, allow_empty: bool = False) -> np.ndarray:
    """A column as floats (nan for empty cells where allowed); names the first bad line."""
    text = df[column]
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(float)
    bad = np.isnan(values) & ((text != "") | (not allow_empty)).to_numpy()
    bad |= np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(path, f"line {i + 2}: {column} is not a number: {text.iloc[i]!r}")
    return values


def _nonempty(path, df: pd.DataFrame, column: str) -> np.ndarray:
    empty = (df[column] == "").to_numpy()
    if empty.any():
        raise _fail(path, f"line {int(np.flatnonzero(empty)[0]) + 2}: {column} is empty")
    return df[column].to_numpy(dtype=str)


def load_units(path) -> dict[str, str]:
    """``units.csv`` → unit code → kind."""
    df = _csv(path, ("code", "kind"))
    codes, kinds = _nonempty(path, df, "code"), _nonempty(path, df, "kind")
    if len(set(codes)) != len(codes):
        raise _fail(path, "a unit code appears twice")
    return dict(zip(codes.tolist(), kinds.tolist(), strict=True))


def load_responses(path, items) -> Responses:
    """The responses CSV → :class:`Responses`; ``items`` are the questionnaire's codes."""
    df = _csv(path, RESPONSE_COLUMNS)
    # Columns that are not questionnaire items are respondent attributes (FORMATS.md).
    cols = [c for c in df.columns if c in items]
    answers = (
        np.column_stack([_numbers(path, df, c, allow_empty=True) for c in cols])
        if cols
        else np.zeros((len(df), 0))
    )
    return Responses(
        **{c: _nonempty(path, df, c) for c in ("unit", "group", "stratum", "psu")},
        weight=_numbers(path, df, "weight"),
        items=tuple(cols),
        answers=answers,
    )


def load_self_scores(path) -> tuple[SelfScore, ...]:
    """``self_assessment.csv`` → rows; an empty ``appraised_points`` → ``None``."""
    df = _csv(path, ("unit", "subcriterion", "self_points", "appraised_points"))
    self_pts = _numbers(path, df, "self_points")
    appraised = _numbers(path, df, "appraised_points", allow_empty=True)
    return tuple(
        SelfScore(u, s, float(p), None if math.isnan(a) else float(a))
        for u, s, p, a in zip(
            _nonempty(path, df, "unit"),
            _nonempty(path, df, "subcriterion"),
            self_pts,
            appraised,
            strict=True,
        )
    )


def load_bonus_penalty(path) -> tuple[BonusPenalty, ...]:
    """``bonus_penalty.csv`` (``unit,bonus,penalty``; empty = 0) → rows."""
    df = _csv(path, ("unit", "bonus", "penalty"))
    bonus = np.nan_to_num(_numbers(path, df, "bonus", allow_empty=True))
    penalty = np.nan_to_num(_numbers(path, df, "penalty", allow_empty=True))
    units = _nonempty(path, df, "unit")
    return tuple(
        BonusPenalty(u, float(b), float(p)) for u, b, p in zip(units, bonus, penalty, strict=True)
    )


def load_previous(path) -> dict[str, float]:
    """``previous.csv`` → unit → index of its latest ``year`` in the file."""
    df = _csv(path, ("unit", "year", "index"))
    years, index = _numbers(path, df, "year"), _numbers(path, df, "index")
    latest: dict[str, tuple[float, float]] = {}
    for unit, year, value in zip(_nonempty(path, df, "unit"), years, index, strict=True):
        if unit in latest and latest[unit][0] == year:
            raise _fail(path, f"unit {unit} has two indices for {year:g}")
        if unit not in latest or year > latest[unit][0]:
            latest[unit] = (year, float(value))
    return {unit: value for unit, (_, value) in latest.items()}
