"""The per-kind summary, down to the figures a ministry publishes (DOMAIN.md)."""

from __future__ import annotations

import pytest

from aggregation.summary import Fall, summarise_kind
from tests.aggregation import index_factories as f
from tests.aggregation.index_factories import compute_index

# A case built to reproduce the published announcement of DOMAIN.md: "10 Cục, gap 30.32
# points, mean 79.55, up 2.78 on the previous year; 11 apparatus units, mean up 2.93, 100%
# at or above 80%; the ministry's own index 79.21". Indices are set through appraised self
# points (max 90) plus full survey marks (10 of 10).
CUC = [94.20, 63.88, 85.10, 82.35, 80.40, 79.60, 78.25, 77.90, 76.82, 77.00]
CUC_PREVIOUS = [90.00, 60.00, 83.00, 80.00, 78.00, 77.50, 79.00, 76.00, 72.20, 72.00]
VU = [80.00, 81.50, 83.20, 84.75, 86.10, 88.40, 90.05, 91.30, 92.60, 95.15, 97.45]
VU_PREVIOUS = [78.00, 79.50, 80.20, 82.75, 83.10, 85.40, 87.05, 88.30, 89.60, 96.15, 88.22]


def _ministry_case():
    cuc = {f"C{i + 1:02d}": x for i, x in enumerate(CUC)}
    vu = {f"V{i + 1:02d}": x for i, x in enumerate(VU)}
    units = {**{u: "cuc" for u in cuc}, **{u: "vu" for u in vu}}
    own = {u: x - 10.0 for u, x in {**cuc, **vu}.items()}
    previous = dict(zip(list(cuc) + list(vu), CUC_PREVIOUS + VU_PREVIOUS, strict=True))
    inputs = f.inputs(units, f.full_marks(units), own, previous=previous, ministry_index=79.21)
    return {s.kind: s for s in compute_index(inputs, draws=200).summary}


def test_summary_reproduces_the_published_cuc_figures():
    cuc = _ministry_case()["cuc"]
    assert cuc.n_units == 10
    assert round(cuc.mean, 2) == 79.55
    assert (round(cuc.max, 2), cuc.max_unit, round(cuc.min, 2), cuc.min_unit) == (
        94.20,
        "C01",
        63.88,
        "C02",
    )
    assert round(cuc.gap, 2) == 30.32
    assert round(cuc.previous_mean, 2) == 76.77
    assert round(cuc.mean_change, 2) == 2.78
    assert (cuc.n_at_least_80, cuc.share_at_least_80) == (4, 40.0)
    assert [(x.unit, round(x.change, 2)) for x in cuc.fell] == [("C07", -0.75)]
    assert cuc.ministry_index == 79.21


def test_summary_reproduces_the_published_apparatus_figures():
    vu = _ministry_case()["vu"]
    assert vu.n_units == 11
    assert round(vu.mean_change, 2) == 2.93
    assert vu.n_at_least_80 == 11 and vu.share_at_least_80 == 100.0  # V01 sits at 80.00
    assert [(x.unit, round(x.change, 2)) for x in vu.fell] == [("V10", -1.0)]
    assert vu.ministry_index == 79.21


def test_falls_are_listed_largest_first():
    s = summarise_kind("k", {"a": 70.0, "b": 60.0, "c": 90.0}, {"a": 71.0, "b": 65.0, "c": 80.0})
    assert s.fell == (Fall("b", -5.0), Fall("a", -1.0))


def test_without_previous_indices_change_is_absent():
    s = summarise_kind("k", {"a": 70.0, "b": 60.0}, {})
    assert s.previous_mean is None and s.mean_change is None and s.fell == ()


def test_previous_mean_uses_the_units_that_have_one():
    s = summarise_kind("k", {"a": 70.0, "b": 60.0}, {"a": 68.0, "zz": 10.0})
    assert s.previous_mean == 68.0 and s.mean_change == pytest.approx(-3.0)


def test_summary_of_no_units_is_an_error():
    with pytest.raises(ValueError, match="no units"):
        summarise_kind("k", {}, {})
