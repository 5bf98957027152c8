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

from aggregation.estimates import ALL
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


def _parsed(path, parse):
    """Run a validating parser of :mod:`survey_app.formats`; its problems → one line."""
    from survey_app.formats.limits import decode_text
    from survey_app.formats.problems import InvalidFile

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read ({exc.__class__.__name__})") from exc
    try:
        return parse(decode_text(data, Path(path).name), Path(path).name)
    except InvalidFile as exc:
        first, more = exc.problems[0], len(exc.problems) - 1
        raise _fail(path, f"{first}" + (f" (and {more} more problems)" if more else "")) from None


def load_criteria_set(path) -> CriteriaSet:
    """A criteria set YAML (FORMATS.md), validated by the importer's parser → :class:`CriteriaSet`.

    Items are checked against the questionnaire later (``validate_inputs``).
    """
    from survey_app.formats.criteria_yaml import parse_criteria_set

    spec = _parsed(path, lambda text, name: parse_criteria_set(text, name, None))
    return CriteriaSet(
        code=spec.code,
        unit_kind=spec.unit_kind,
        min_group_respondents=spec.min_group_respondents,
        group_weights=dict(spec.group_weights),
        areas=tuple(
            Area(
                a.code,
                tuple(
                    Criterion(
                        c.code,
                        tuple(
                            Subcriterion(s.code, s.source, s.max_points, s.items)
                            for s in c.subcriteria
                        ),
                    )
                    for c in a.criteria
                ),
            )
            for a in spec.areas
        ),
        bonus_cap=spec.bonus_cap,
        penalty_cap=spec.penalty_cap,
    )


def load_questionnaire(path) -> dict[str, Scale]:
    """A questionnaire YAML → item code → :class:`Scale` (``missing`` levels → ``None``)."""
    from survey_app.formats.questionnaire_yaml import parse_questionnaire

    spec = _parsed(path, parse_questionnaire)
    scales = {
        name: Scale({float(lv.value): (None if lv.is_missing else lv.score) for lv in levels})
        for name, levels in spec.scales.items()
    }
    return {item.code: scales[item.scale] for item in spec.items() if item.is_scored}


def _csv(path, required) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot read CSV ({exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(path, f"missing column(s) {', '.join(missing)}")
    return df.apply(lambda col: col.str.strip())


#: Cells that mean "not answered" where a column may be empty (FORMATS.md).
_NOT_ANSWERED = ("", "NA")


def _where(df: pd.DataFrame, row: int, column: str) -> str:
    """``line L, column C (NAME)`` of a cell (1-based, the header is line 1)."""
    return f"line {row + 2}, column {df.columns.get_loc(column) + 1} ({column})"


def _numbers(path, df: pd.DataFrame, column: str, allow_empty: bool = False) -> np.ndarray:
    """A column as finite floats (nan for NA/empty cells where allowed); names the bad cell.

    ``inf``, ``-inf``, ``1e400`` (beyond the float range) and ``NaN`` are refused.
    """
    text = df[column]
    empty = text.isin(_NOT_ANSWERED) if allow_empty else text == ""
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values) & ~(empty.to_numpy() & allow_empty)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(path, f"{_where(df, i, column)}: {text.iloc[i]!r} is not a finite number")
    return values


def _nonempty(path, df: pd.DataFrame, column: str) -> np.ndarray:
    empty = (df[column] == "").to_numpy()
    if empty.any():
        raise _fail(path, f"{_where(df, int(np.flatnonzero(empty)[0]), column)}: empty")
    return df[column].to_numpy(dtype=str)


def _labels(path, df: pd.DataFrame, column: str) -> np.ndarray:
    """A non-empty label column in which ``_ALL_`` (the whole sample) is refused."""
    values = _nonempty(path, df, column)
    reserved = values == ALL
    if reserved.any():
        where = _where(df, int(np.flatnonzero(reserved)[0]), column)
        raise _fail(path, f"{where}: {ALL} is reserved for the whole sample")
    return values


def load_units(path) -> dict[str, str]:
    """``units.csv`` → unit code → kind."""
    df = _csv(path, ("code", "kind"))
    codes, kinds = _labels(path, df, "code"), _nonempty(path, df, "kind")
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
        unit=_labels(path, df, "unit"),
        **{c: _nonempty(path, df, c) for c in ("group", "stratum", "psu")},
        weight=_numbers(path, df, "weight"),
        items=tuple(cols),
        answers=answers,
    )


def load_frame(path) -> dict[str, float]:
    """The sampling frame CSV (``stratum,population``, FORMATS.md) → stratum → population."""
    from survey_app.formats.frame_csv import parse_frame

    return _parsed(path, parse_frame)


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
