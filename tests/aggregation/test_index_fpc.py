"""With a frame, the index's survey part is element sampling within strata with R's fpc.

The group means and SEs must be those of ``parindex estimate``'s engine for R's
``svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population)`` (the
``element_fpc`` design its R references check), and every combination of them (a unit's
points, its index) the element formula applied to the respondents' summed scores.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from aggregation import index
from aggregation.design import make_design, psu_variance
from aggregation.domains import estimate_domains
from aggregation.inputs import IndexInputError
from aggregation.points import item_fractions, respondent_scores
from aggregation.sums import map_responses, merge, survey_items
from aggregation.survey import reduce_survey, survey_estimates
from survey_app.cli import index_inputs as load
from tests.aggregation.index_factories import Case, example_case
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def case() -> Case:
    return example_case(previous=False)


@pytest.fixture(scope="module")
def frame() -> dict[str, float]:
    return load.load_frame(EXAMPLES / "frame.csv")


def _scores(case) -> np.ndarray:
    r = case.responses
    cols = {item: j for j, item in enumerate(r.items)}
    out = []
    for _cs, sub in survey_items(case.criteria_sets):
        idx = [cols[i] for i in sub.items]
        scales = [case.item_scales[i] for i in sub.items]
        out.append(respondent_scores(item_fractions(r.answers[:, idx], scales)))
    return np.column_stack(out)


def _element_design(case, frame):
    r = case.responses
    pop = np.array([frame[s] for s in r.stratum])
    return make_design(r.n, r.weight, r.stratum, fpc=pop)


@pytest.mark.parametrize("lonely", [False, True])
def test_group_means_and_ses_are_those_of_the_r_checked_element_fpc_design(case, frame, lonely):
    if lonely:  # two strata keep one respondent: R's "adjust" at stage 2 as at stage 1
        r = case.responses
        two = ("C01-leader", "V03-official")
        drop = np.concatenate([np.flatnonzero(r.stratum == s)[1:] for s in two])
        keep = np.setdiff1d(np.arange(r.n), drop)
        case = dataclasses.replace(case, responses=_take(r, keep))
        assert (case.responses.stratum == "C01-leader").sum() == 1
    survey = survey_estimates(case, case.responses, frame)
    r = case.responses
    domains = sorted(set(zip(r.unit.tolist(), r.group.tolist(), strict=True)))
    code = {d: k for k, d in enumerate(domains)}
    unit = np.array([code[d] for d in zip(r.unit.tolist(), r.group.tolist(), strict=True)])
    pairs = survey_items(case.criteria_sets)
    labels = [f"{cs.code}/{s.code}" for cs, s in pairs]
    est = estimate_domains(_element_design(case, frame), unit, _scores(case),
                           units=[f"{u}/{g}" for u, g in domains], items=labels)  # fmt: skip
    rows = {(m.item, m.unit): m for m in est.means if m.unit != "_ALL_"}
    checked = 0
    for (cs, sub), label in zip(pairs, labels, strict=True):
        for u, g in domains:
            want, got = rows[(label, f"{u}/{g}")], survey.group(cs.code, sub.code, u, g)
            assert got.n == want.n
            if want.n:
                assert got.mean == pytest.approx(want.mean, rel=1e-12, abs=1e-15)
                assert got.se == pytest.approx(want.se, rel=1e-9, abs=1e-15)
                checked += 1
    assert checked > 300
    assert survey.df == est.df == r.n - len(set(r.stratum.tolist()))


def test_a_units_index_se_is_the_element_formula_on_its_respondents_summed_scores(case, frame):
    survey = survey_estimates(case, case.responses, frame)
    result = index.compute_index(case, survey, draws=50)
    r, scores = case.responses, _scores(case)
    pairs = survey_items(case.criteria_sets)
    for unit in result.units[:6]:
        cs = next(c for c in case.criteria_sets if c.unit_kind == unit.kind)
        z = np.zeros(r.n)
        for k, (set_, sub) in enumerate(pairs):
            if set_ is not cs:
                continue
            groups = {g: (r.unit == unit.unit) & (r.group == g) & ~np.isnan(scores[:, k])
                      for g in cs.group_weights}  # fmt: skip
            present = {g: d for g, d in groups.items() if d.any()}
            alpha = sum(cs.group_weights[g] for g in present)
            for g, d in present.items():
                w = np.where(d, r.weight, 0.0)
                y = np.where(d, scores[:, k], 0.0)
                mean = (w * y).sum() / w.sum()
                c = 100 / cs.max_points * sub.max_points * cs.group_weights[g] / alpha
                z += c * w * (y - mean) / w.sum()
        se = float(np.sqrt(psu_variance(_element_design(case, frame), z)))
        assert unit.index_se == pytest.approx(se, rel=1e-9)


def test_chunks_mapped_for_a_frame_merge_to_the_one_pass_figures(case, frame):
    r = case.responses
    order = np.random.default_rng(5).permutation(r.n)
    parts = [map_responses(case, _take(r, rows), element=True) for rows in np.array_split(order, 7)]
    split = reduce_survey(merge(parts), frame)
    one = survey_estimates(case, r, frame)
    np.testing.assert_allclose(split.means.var, one.means.var, rtol=1e-12, atol=1e-18)
    c = np.random.default_rng(6).normal(size=(one.n_terms, 3))
    np.testing.assert_allclose(split.variance(c), one.variance(c), rtol=1e-12)


def test_fpc_only_narrows_the_interval_it_would_have_with_replacement(case, frame):
    with_fpc = survey_estimates(case, case.responses, frame)
    huge = {s: 1e12 for s in frame}  # N_h → ∞: with replacement, element sampling
    wr = survey_estimates(case, case.responses, huge)
    assert (with_fpc.means.var <= wr.means.var * (1 + 1e-12) + 1e-18).all()
    assert (with_fpc.means.var < wr.means.var).any()


def test_a_stratum_missing_from_the_frame_or_smaller_than_its_sample_is_refused(case, frame):
    short = dict(frame)
    gone = sorted(short)[0]
    del short[gone]
    with pytest.raises(IndexInputError, match=f"stratum '{gone}' has responses but is not in"):
        survey_estimates(case, case.responses, short)
    tiny = {s: 2.0 for s in frame}
    with pytest.raises(IndexInputError, match="more responses than people"):
        survey_estimates(case, case.responses, tiny)


def _take(r, rows):
    from aggregation.inputs import Responses

    return Responses(r.unit[rows], r.group[rows], r.stratum[rows], r.psu[rows], r.weight[rows],
                     r.items, r.answers[rows])  # fmt: skip


REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "reference_index_fpc.json"


def test_group_means_and_their_combinations_are_rs_with_the_frames_fpc(case, frame):
    """R survey 4.1-1 (reference_index_fpc.R): every (sub-criterion, unit, group) mean and
    SE, and every unit's 0.4 leader + 0.6 official combination with its SE, to 1e-9."""
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    survey = survey_estimates(case, case.responses, frame)
    assert survey.df == ref["meta"]["df"]
    for row in ref["groups"]:
        got = survey.group(*row["sub"].split("/"), row["unit"], row["group"])
        assert got.mean == pytest.approx(row["mean"], rel=1e-9)
        assert got.se == pytest.approx(row["se"], rel=1e-9, abs=1e-15)
    for row in ref["points"]:
        set_, sub = row["sub"].split("/")
        leader = survey.group(set_, sub, row["unit"], "leader")
        official = survey.group(set_, sub, row["unit"], "official")
        coef = 0.4 * leader.coef + 0.6 * official.coef
        assert 0.4 * leader.mean + 0.6 * official.mean == pytest.approx(row["value"], rel=1e-9)
        assert np.sqrt(survey.variance(coef)) == pytest.approx(row["se"], rel=1e-9)
    assert len(ref["groups"]) > 600 and len(ref["points"]) > 300
