"""Two-stage and fpc designs: identities of svyrecvar and map/merge over split SSUs."""

from __future__ import annotations

import numpy as np
import pytest

from aggregation.design import DesignError, make_design
from aggregation.domains import estimate_domains
from tests.reference import ITEMS


def _ses(result) -> np.ndarray:
    return np.array([np.nan if r.se is None else r.se for r in result.means])


def _run(survey, design, **kwargs):
    return estimate_domains(
        design, survey["unit"], survey["answers"], units=survey["units"], items=ITEMS, **kwargs
    )


@pytest.fixture(scope="module")
def stages(survey):
    """Three SSUs per PSU by row order, with 10 SSUs and 3 x n_h PSUs in the population."""
    n = survey["n"]
    ssu = np.arange(n) % 3
    _, psu_code = np.unique(survey["psu"], return_inverse=True)
    strata, counts = np.unique(survey["stratum"], return_counts=True)
    n_h = {h: np.unique(survey["psu"][survey["stratum"] == h]).size for h in strata}
    fpc = np.array([3.0 * n_h[h] for h in survey["stratum"]])
    return {"ssu": ssu, "fpc": fpc, "fpc2": np.full(n, 10.0), "n_h": n_h, "psu_code": psu_code}


def _design(survey, **kw):
    return make_design(survey["n"], survey["weight"], survey["stratum"], survey["psu"], **kw)


def test_map_over_chunks_that_split_ssus_equals_one_pass(survey, stages, raking_spec):
    design = _design(survey, ssu=stages["ssu"], fpc=stages["fpc"], fpc2=stages["fpc2"])
    for raking in (None, raking_spec):
        whole = _ses(_run(survey, design, raking=raking))
        chunked = _ses(_run(survey, design, raking=raking, chunk_rows=97))
        np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-15)


def test_fraction_and_count_forms_of_fpc_agree(survey, stages):
    count = _design(survey, ssu=stages["ssu"], fpc=stages["fpc"], fpc2=stages["fpc2"])
    m_i = np.bincount(count.ssu_psu)[count.psu]
    fraction = _design(survey, ssu=stages["ssu"], fpc=np.full(survey["n"], 1 / 3), fpc2=m_i / 10.0)
    np.testing.assert_allclose(_ses(_run(survey, fraction)), _ses(_run(survey, count)), 1e-13)


def test_stage_two_adds_variance_only_with_a_stage_one_fpc(survey, stages):
    one = _ses(_run(survey, _design(survey)))
    two = _ses(_run(survey, _design(survey, ssu=stages["ssu"])))
    np.testing.assert_array_equal(one, two)
    fpc1 = _ses(_run(survey, _design(survey, fpc=stages["fpc"])))
    both = _ses(_run(survey, _design(survey, **{k: stages[k] for k in ("ssu", "fpc", "fpc2")})))
    ok = ~np.isnan(fpc1)
    assert (both[ok] >= fpc1[ok] - 1e-15).all() and (both[ok] > fpc1[ok]).any()
    assert (fpc1[ok] <= one[ok] + 1e-15).all()


def test_census_of_every_stratum_has_zero_variance(survey, stages):
    census = _design(survey, fpc=np.array([float(stages["n_h"][h]) for h in survey["stratum"]]))
    ses = _ses(_run(survey, census))
    assert np.nanmax(ses) == 0.0


def test_huge_population_is_with_replacement(survey):
    huge = _ses(_run(survey, _design(survey, fpc=np.full(survey["n"], 1e15))))
    np.testing.assert_allclose(huge, _ses(_run(survey, _design(survey))), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fpc": "mixed"}, "mix population counts"),
        ({"fpc": "nan"}, "positive number"),
        ({"fpc2": "ten"}, "stage-2 fpc needs"),
    ],
)
def test_bad_fpc_is_refused(survey, stages, kwargs, message):
    n = survey["n"]
    values = {"mixed": np.where(survey["stratum"] == "S1", 0.5, 100.0), "nan": np.full(n, np.nan),
              "ten": np.full(n, 10.0)}  # fmt: skip
    arg = {k: values[v] for k, v in kwargs.items()}
    with pytest.raises(DesignError, match=message):
        _design(survey, **arg)


def test_ssu_without_psu_is_refused(survey, stages):
    with pytest.raises(DesignError, match="needs a PSU"):
        make_design(survey["n"], survey["weight"], ssu=stages["ssu"])


def test_a_unit_named_all_is_refused(survey, design):
    units = ("_ALL_",) + tuple(survey["units"][1:])
    with pytest.raises(DesignError, match="reserved"):
        estimate_domains(design, survey["unit"], survey["answers"], units=units, items=ITEMS)
