"""The PAR index of every unit: appraised and survey points, SE, CI, ranks and summary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aggregation import estimators as E
from aggregation import flags
from aggregation.inputs import CriteriaSet, IndexInputError, IndexInputs, Subcriterion
from aggregation.points import combine_groups
from aggregation.ranking import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    index_covariance,
    overlapping_neighbours,
    rank_intervals,
)
from aggregation.results import GroupResult, IndexResult, SubCriterionResult, UnitResult
from aggregation.summary import summarise_kind
from aggregation.survey import SurveyEstimates
from aggregation.validate import validate_inputs


@dataclass(frozen=True)
class _Survey:
    """The reduced survey part and the t quantile of its df."""

    t: float | None
    estimates: SurveyEstimates

    def variance(self, coef: np.ndarray) -> np.ndarray:
        return self.estimates.variance(coef)


@dataclass(frozen=True)
class _UnitScore:
    """A unit's points before ranking; ``coef`` writes its index over the group means."""

    unit: str
    kind: str
    rows: tuple[SubCriterionResult, ...]
    self_points: float
    survey_points: float
    survey_se: float
    bonus: float
    penalty: float
    max_points: float
    index: float
    index_se: float
    coef: np.ndarray
    areas: dict[str, float]
    flags: tuple[str, ...]


def compute_index(
    inputs: IndexInputs,
    survey: SurveyEstimates,
    *,
    seed: int = DEFAULT_SEED,
    draws: int = DEFAULT_DRAWS,
) -> IndexResult:
    """Compute the PAR index of every unit in ``inputs`` (DOMAIN.md "The index, precisely").

    ``index(u) = (Σ appraised self + Σ survey points + bonus − penalty) / Σ max × 100``;
    its SE comes from the summed linearised scores of the unit's survey points through
    the PSU formula (docs/ESTIMATORS.md (a), (e)); CIs are ``± t(0.975, df)·SE`` with the df
    of the whole design. Ranks and rank intervals are within each unit kind
    (:func:`aggregation.ranking.rank_intervals`, ``draws`` draws from ``seed``).

    ``survey`` is the survey part reduced from the merged sums of the responses
    (:func:`aggregation.survey.reduce_survey`; map and reduce in one call:
    :func:`aggregation.survey.survey_estimates`).

    Raises
    ------
    IndexInputError
        For unknown codes, values outside a scale or the points range, a unit with no
        valid survey answer on a survey sub-criterion, or a design without df.
    """
    validate_inputs(inputs)
    survey = _prepare_survey(inputs, survey)
    units, rows, summaries = [], [], []
    for cs in inputs.criteria_sets:
        codes = sorted(u for u, kind in inputs.units.items() if kind == cs.unit_kind)
        if not codes:
            continue
        scores = [_score_unit(u, cs, inputs, survey) for u in codes]
        units.extend(_rank_kind(scores, survey, inputs, seed, draws))
        rows.extend(r for s in scores for r in s.rows)
        index = {s.unit: s.index for s in scores}
        summaries.append(
            summarise_kind(cs.unit_kind, index, inputs.previous, inputs.ministry_index)
        )
    est = survey.estimates
    return IndexResult(
        est.df, survey.t, seed, draws, tuple(units), tuple(rows), tuple(summaries),
        est.n_responses, est.has_fpc,
    )  # fmt: skip


def _prepare_survey(inputs: IndexInputs, estimates: SurveyEstimates) -> _Survey:
    has_survey = any(s.source == "survey" for cs in inputs.criteria_sets for s in cs.subcriteria)
    if has_survey and estimates.df < 1:
        raise IndexInputError(f"the survey design has {estimates.df} degrees of freedom; need ≥ 1")
    t = float(E.t_quantile(0.95, estimates.df)) if has_survey else None
    return _Survey(t, estimates)


def _score_unit(unit: str, cs: CriteriaSet, inputs: IndexInputs, survey: _Survey) -> _UnitScore:
    own = {r.subcriterion: r for r in inputs.self_scores if r.unit == unit}
    rows, coef, areas = [], np.zeros(survey.estimates.n_terms), {}
    for area in cs.areas:
        area_rows = []
        for sub in area.subcriteria:
            if sub.source == "self":
                area_rows.append(_self_row(unit, sub, own.get(sub.code)))
            else:
                row, c = _survey_row(unit, cs, sub, survey)
                area_rows.append(row)
                coef = coef + c
        area_max = sum(s.max_points for s in area.subcriteria)
        areas[area.code] = 100.0 * sum(r.points for r in area_rows) / area_max
        rows.extend(area_rows)
    return _unit_score(unit, cs, inputs, tuple(rows), coef, areas, survey)


def _self_row(unit: str, sub: Subcriterion, row) -> SubCriterionResult:
    """Appraised points count; unappraised → self points, flagged; no row → 0, flagged."""
    base = dict(unit=unit, subcriterion=sub.code, source="self", max_points=sub.max_points)
    if row is None:
        return SubCriterionResult(**base, points=0.0, flags=(flags.NOT_ASSESSED,))
    appraised = row.appraised_points is not None
    return SubCriterionResult(
        **base,
        points=float(row.appraised_points if appraised else row.self_points),
        flags=() if appraised else (flags.NOT_APPRAISED,),
        self_points=row.self_points,
        appraised_points=row.appraised_points,
    )


def _survey_row(unit, cs, sub, survey: _Survey):
    groups = {g: survey.estimates.group(cs.code, sub.code, unit, g) for g in cs.group_weights}
    try:
        sp = combine_groups(
            groups, cs.group_weights, sub.max_points, cs.min_group_respondents, survey.variance
        )
    except IndexInputError as exc:
        raise IndexInputError(f"unit {unit}, sub-criterion {sub.code}: {exc}") from exc
    half = (survey.t or 0.0) * sp.se
    row = SubCriterionResult(
        unit=unit,
        subcriterion=sub.code,
        source="survey",
        max_points=sub.max_points,
        points=sp.points,
        se=sp.se,
        ci_low=sp.points - half,
        ci_high=sp.points + half,
        groups={g: GroupResult(e.n, e.mean, e.se) for g, e in sp.groups.items()},
        flags=sp.flags,
    )
    return row, sp.coef


def _unit_score(unit, cs: CriteriaSet, inputs: IndexInputs, rows, coef, areas, survey):
    """``index = (self + survey + bonus − penalty) / Σ max × 100``; bonus/penalty capped."""
    bonus, penalty, cap_flags = _bonus_penalty(unit, cs, inputs)
    self_pts = sum(r.points for r in rows if r.source == "self")
    survey_pts = sum(r.points for r in rows if r.source == "survey")
    scale = 100.0 / cs.max_points
    survey_se = float(np.sqrt(survey.variance(coef)))
    carried = {f for r in rows for f in r.flags if f in flags.CARRIED_TO_UNIT}
    return _UnitScore(
        unit=unit,
        kind=cs.unit_kind,
        rows=rows,
        self_points=float(self_pts),
        survey_points=float(survey_pts),
        survey_se=survey_se,
        bonus=bonus,
        penalty=penalty,
        max_points=cs.max_points,
        index=(self_pts + survey_pts + bonus - penalty) * scale,
        index_se=survey_se * scale,
        coef=coef * scale,
        areas=areas,
        flags=tuple(sorted(carried)) + cap_flags,
    )


def _bonus_penalty(unit: str, cs: CriteriaSet, inputs: IndexInputs):
    row = next((b for b in inputs.bonus_penalty if b.unit == unit), None)
    if row is None:
        return 0.0, 0.0, ()
    bonus, b_flag = _capped(row.bonus, cs.bonus_cap, flags.BONUS_CAPPED)
    penalty, p_flag = _capped(row.penalty, cs.penalty_cap, flags.PENALTY_CAPPED)
    return bonus, penalty, b_flag + p_flag


def _capped(value: float, cap: float | None, flag: str):
    if cap is not None and value > cap:
        return float(cap), (flag,)
    return float(value), ()


def _rank_kind(scores: list[_UnitScore], survey: _Survey, inputs, seed: int, draws: int):
    """Ranks, rank intervals and CIs of one kind's units; the rng depends on the kind only."""
    est = np.array([s.index for s in scores])
    se = np.array([s.index_se for s in scores])
    cov = index_covariance(survey.variance, np.column_stack([s.coef for s in scores]))
    rng = np.random.default_rng([seed, *scores[0].kind.encode("utf-8")])
    ri = rank_intervals(est, cov, rng, draws)
    half = (survey.t or 0.0) * se
    overlap = overlapping_neighbours(ri.rank, est - half, est + half)
    return [
        _unit_result(s, ri.rank[i], ri.low[i], ri.high[i], half[i], overlap[i], inputs)
        for i, s in enumerate(scores)
    ]


def _unit_result(s: _UnitScore, rank, low, high, half, overlap, inputs) -> UnitResult:
    previous = inputs.previous.get(s.unit)
    return UnitResult(
        unit=s.unit,
        kind=s.kind,
        self_points=s.self_points,
        survey_points=s.survey_points,
        survey_se=s.survey_se,
        bonus=s.bonus,
        penalty=s.penalty,
        max_points=s.max_points,
        index=s.index,
        index_se=s.index_se,
        index_ci_low=s.index - half,
        index_ci_high=s.index + half,
        rank=int(rank),
        rank_low=int(low),
        rank_high=int(high),
        previous_index=previous,
        change=None if previous is None else s.index - previous,
        areas=s.areas,
        flags=s.flags + ((flags.OVERLAPS_NEIGHBOUR,) if overlap else ()),
    )
