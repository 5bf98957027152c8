"""``parindex estimate --ssu/--fpc/--fpc2`` against R survey 4.1-1, every field to 1e-9.

References (tests/data/reference, made by R; R is not needed here):
``reference_2k_fpc.json`` (reference_fpc.R, the four designs of docs/ESTIMATORS.md (f)),
``reference_2k_designs.json`` (reference_designs.R on survey_2k_designs.csv: fpc as a
fraction, SSUs with a lonely PSU at stage 2, a lonely and a self-representing stratum,
a single-PSU domain, element sampling, rake() on fpc designs),
``reference_apiclus2.json`` (R's own apiclus2, two-stage with fpc1/fpc2) and
``reference_2k_beta.json`` (reference_beta.R: svyciprop(method = "beta") under fpc).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aggregation import estimates as R
from survey_app.cli import main
from tests.reference import ITEMS, REFERENCE_DIR, mismatches

FPC_CSV = str(REFERENCE_DIR / "survey_2k_fpc.csv")
DESIGNS_CSV = str(REFERENCE_DIR / "survey_2k_designs.csv")
API_CSV = str(REFERENCE_DIR / "apiclus2.csv")
MARGINS = str(REFERENCE_DIR / "survey_2k_margins.csv")
BASE = ["--items", ",".join(ITEMS), "--weight", "base_weight"]
UNIT_STRATA = ["--by", "unit", "--strata", "stratum"]
TWO_STAGE = ["--psu", "psu", "--ssu", "ssu"]
RAKE = ["--rake", "sex,age_band", "--margins", MARGINS]

FPC_CASES = {
    "stage1_fpc": [*UNIT_STRATA, "--psu", "psu", "--fpc", "psu_pop"],
    "two_stage_fpc": [*UNIT_STRATA, "--psu", "psu", "--ssu", "respondent_id",
                      "--fpc", "psu_pop", "--fpc2", "ssu_pop"],
    "element_fpc": [*UNIT_STRATA, "--fpc", "stratum_pop"],
    "two_stage_nofpc": [*UNIT_STRATA, "--psu", "psu", "--ssu", "respondent_id"],
}  # fmt: skip
DESIGN_CASES = {
    "strat_cluster_fpc_fraction": [*UNIT_STRATA, "--psu", "psu", "--fpc", "psu_frac"],
    "two_stage_fpc_ssu": [*UNIT_STRATA, *TWO_STAGE, "--fpc", "psu_pop", "--fpc2", "ssu_pop"],
    "two_stage_lonely_certainty": ["--by", "unit", "--strata", "stratum2", *TWO_STAGE,
                                   "--fpc", "psu_pop2", "--fpc2", "ssu_pop"],
    "two_stage_nofpc_ssu": [*UNIT_STRATA, *TWO_STAGE],
    "domain_one_psu": ["--by", "domain", "--strata", "stratum", "--psu", "psu",
                       "--fpc", "psu_pop"],
    "element_fpc_domain": ["--by", "domain", "--strata", "stratum", "--fpc", "stratum_pop"],
    "raked_stage1_fpc": [*UNIT_STRATA, "--psu", "psu", "--fpc", "psu_pop", *RAKE],
    "raked_two_stage_fpc": [*UNIT_STRATA, *TWO_STAGE, "--fpc", "psu_pop", "--fpc2",
                            "ssu_pop", *RAKE],
}  # fmt: skip
API = ["--items", "api00,api99,enroll,meals,ell", "--by", "stype", "--weight", "pw"]
API_CASES = {
    "two_stage_fpc": [*API, "--psu", "dnum", "--ssu", "snum", "--fpc", "fpc1", "--fpc2", "fpc2"],
    "two_stage_nofpc": [*API, "--psu", "dnum", "--ssu", "snum"],
    "stage1_fpc": [*API, "--psu", "dnum", "--fpc", "fpc1"],
}
#: q6 of U01 is all 4s: R's SE is rounding noise, so its deff (~1e31) and its p = 1
#: logit interval are noise; ours are null with a reason (checked below).
NOISE = ("q6", "U01")


def _load(name: str) -> dict:
    return json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))


def _run(tmp_path, csv: str, args: list[str]) -> dict:
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["estimate", csv, *args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _compare(got: dict, ref: dict, design: str) -> list[str]:
    out = []
    for section, noisy in (("means", {"deff"}), ("proportions", {"logit_low", "logit_high"})):
        rows = [r for r in ref.get(section, []) if r["design"] == design]
        clean = [
            {k: v for k, v in r.items() if not ((r["item"], r["unit"]) == NOISE and k in noisy)}
            for r in rows
        ]
        mine = [dict(r, design=design) for r in got[section]]
        out += mismatches(section, mine, clean)
        if section == "means":
            assert rows, design
    return out


@pytest.mark.parametrize("design", FPC_CASES)
def test_fpc_reference_designs_match_r_to_1e9(tmp_path, design):
    got = _run(tmp_path, FPC_CSV, [*BASE, *FPC_CASES[design]])
    assert _compare(got, _load("reference_2k_fpc.json"), design) == []


@pytest.mark.parametrize("design", DESIGN_CASES)
def test_edge_designs_means_and_proportions_match_r_to_1e9(tmp_path, design):
    got = _run(tmp_path, DESIGNS_CSV, [*BASE, *DESIGN_CASES[design]])
    assert _compare(got, _load("reference_2k_designs.json"), design) == []


@pytest.mark.parametrize("design", API_CASES)
def test_r_own_apiclus2_two_stage_sample_matches_r_to_1e9(tmp_path, design):
    got = _run(tmp_path, API_CSV, API_CASES[design])
    assert _compare(got, _load("reference_apiclus2.json"), design) == []


def test_all_equal_domain_under_fpc_gets_null_deff_with_reason(tmp_path):
    got = _run(tmp_path, FPC_CSV, [*BASE, *FPC_CASES["two_stage_fpc"]])
    row = next(r for r in got["means"] if (r["item"], r["unit"]) == NOISE)
    assert row["se"] == 0.0 and row["deff"] is None and row["deff_reason"] == R.ALL_EQUAL


def test_two_stage_without_fpc_equals_one_stage(tmp_path):
    one = _run(tmp_path, DESIGNS_CSV, [*BASE, *UNIT_STRATA, "--psu", "psu"])
    two = _run(tmp_path, DESIGNS_CSV, [*BASE, *DESIGN_CASES["two_stage_nofpc_ssu"]])
    assert [r["se"] for r in one["means"]] == [r["se"] for r in two["means"]]


def test_meta_names_the_stage_columns(tmp_path):
    meta = _run(tmp_path, DESIGNS_CSV, [*BASE, *DESIGN_CASES["two_stage_fpc_ssu"]])["meta"]
    assert (meta["ssu"], meta["fpc"], meta["fpc2"]) == ("ssu", "psu_pop", "ssu_pop")
    assert meta["df"] == 74


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ssu", "ssu"], "--ssu needs --psu"),
        (["--psu", "psu", "--fpc2", "ssu_pop"], "--fpc2 needs --ssu and --fpc"),
        ([*TWO_STAGE, "--fpc", "psu_pop"], "--ssu with --fpc needs --fpc2"),
        (["--psu", "psu", "--fpc", "respondent_id"], "fpc differs within a stratum"),
        (["--psu", "psu", "--fpc", "respondent_id"], "line 3, column 1 (respondent_id): '2'"),
        (["--psu", "psu", "--fpc", "q1"], "fpc must be a positive number"),
        (["--fpc", "psu_pop"], "more than the population"),
    ],
)
def test_impossible_stage_options_exit_with_a_reason(tmp_path, args, message):
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        main, ["estimate", DESIGNS_CSV, *BASE, *UNIT_STRATA, *args, "--json", str(out)]
    )
    assert result.exit_code != 0 and message in result.output, result.output


@pytest.mark.parametrize(
    "design, args",
    [
        ("stage1_fpc", [*UNIT_STRATA, "--psu", "psu", "--fpc", "psu_pop"]),
        ("two_stage_fpc_ssu", DESIGN_CASES["two_stage_fpc_ssu"]),
    ],
)
def test_korn_graubard_interval_under_fpc_matches_r_svyciprop_beta(tmp_path, design, args):
    got = _run(tmp_path, DESIGNS_CSV, ["--items", "q1,q2", "--weight", "base_weight", *args])
    ref = [r for r in _load("reference_2k_beta.json")["proportions"] if r["design"] == design]
    assert ref
    mine = [dict(r, design=design) for r in got["proportions"]]
    assert mismatches("proportions", mine, ref) == []
