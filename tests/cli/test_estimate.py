"""``parindex estimate`` on the reference CSV, compared field by field with R; bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey_app.cli import main
from tests.cli.imports import imported_by
from tests.reference import ITEMS, REFERENCE_DIR, mismatches

CSV = str(REFERENCE_DIR / "survey_2k.csv")
MARGINS = str(REFERENCE_DIR / "survey_2k_margins.csv")
DESIGN = ["--by", "unit", "--weight", "base_weight", "--strata", "stratum", "--psu", "psu"]
RAKE = ["--rake", "sex,age_band", "--margins", MARGINS]
REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(main, ["estimate", *args], catch_exceptions=False)


def estimate_json(tmp_path, *extra: str) -> dict:
    out = tmp_path / "out.json"
    result = invoke(CSV, "--items", ",".join(ITEMS), *DESIGN, *extra, "--json", str(out))
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("design, extra", [("base", []), ("raked", RAKE)])
def test_estimate_output_matches_reference_field_by_field(tmp_path, reference, design, extra):
    got = estimate_json(tmp_path, *extra)
    assert got["meta"]["design"] == design and got["meta"]["df"] == 74
    for section in ("means", "proportions", "kish"):
        ref = [r for r in reference[section] if r["design"] == design]
        assert len(got[section]) == len(ref)
        assert mismatches(section, got[section], ref) == []
    unweighted = [dict(r, design="unweighted") for r in got["unweighted"]]
    assert mismatches("unweighted", unweighted, reference["unweighted"]) == []


def test_raked_meta_reports_convergence_and_timings_on_request(tmp_path):
    meta = estimate_json(tmp_path, *RAKE, "--timings")["meta"]
    assert meta["raking"]["converged"] is True and meta["raking"]["iterations"] >= 1
    assert set(meta["timings"]) == {"read_s", "compute_s", "total_s"}


def test_python_dash_m_runs_the_same_command_to_stdout(reference):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "survey_app.cli", "estimate", CSV, "--items", "q1,q2", *DESIGN,
           "--json", "-"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    ref = [r for r in reference["means"] if r["design"] == "base" and r["item"] in ("q1", "q2")]
    assert mismatches("means", got["means"], ref) == []


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


BAD_CSV = (
    "unit,stratum,psu,w,sex,q1\nA,S1,P1,1.5,F,4\nA,S1,P2,2,M,{q}\nB,S1,P2,{w},F,\n{u},S1,P1,1,M,3\n"
)


@pytest.mark.parametrize(
    "fields, args, message",
    [
        ({}, ["--items", "q1,q9"], "no column 'q9'"),
        ({"q": "abc"}, ["--items", "q1"], "column 'q1' must hold numbers, found 'abc'"),
        ({"w": "0"}, ["--items", "q1", "--weight", "w"], "weight(s) are missing, zero or negative"),
        ({"w": ""}, ["--items", "q1", "--weight", "w"], "first at line 4"),
        ({"u": ""}, ["--items", "q1"], "column 'unit' is empty in 1 row(s)"),
        ({}, ["--items", "q1", "--rake", "sex"], "--rake and --margins go together"),
        ({}, ["--items", "q1,q1"], "--items names a column twice"),
        ({"q": "inf"}, ["--items", "q1"], "line 3, column 6 (q1): 'inf' is not a finite number"),
        ({"q": "-inf"}, ["--items", "q1"], "line 3, column 6 (q1): '-inf' is not a finite"),
        ({"q": "1e400"}, ["--items", "q1"], "line 3, column 6 (q1): '1e400' is not a finite"),
        ({"q": "NaN"}, ["--items", "q1"], "line 3, column 6 (q1): 'NaN' is not a finite"),
        ({"w": "inf"}, ["--items", "q1", "--weight", "w"], "line 4, column 4 (w): 'inf'"),
        ({"u": "_ALL_"}, ["--items", "q1"], "line 5, column 1 (unit): '_ALL_' is reserved"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(tmp_path, fields, args, message):
    values = {"q": "5", "w": "1", "u": "B"} | fields
    path = _write(tmp_path, "r.csv", BAD_CSV.format(**values))
    result = invoke(path, "--by", "unit", "--strata", "stratum", "--psu", "psu", *args,
                    "--json", str(tmp_path / "o.json"))  # fmt: skip
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_na_and_empty_cells_are_not_answered(tmp_path):
    na = _write(tmp_path, "na.csv", BAD_CSV.format(q="NA", w="1", u="B"))
    empty = _write(tmp_path, "empty.csv", BAD_CSV.format(q="", w="1", u="B"))
    outs = []
    for path in (na, empty):
        result = invoke(path, "--items", "q1", "--by", "unit", "--json", "-")
        assert result.exit_code == 0, result.output
        outs.append(json.loads(result.output)["means"])
    assert outs[0] == outs[1] and next(r["n"] for r in outs[0] if r["unit"] == "A") == 1


@pytest.mark.parametrize(
    "margins, message",
    [
        ("variable,level,count\nsex,F,10\nsex,M,8\nsex,X,2\n", "no respondent has it (empty cell)"),
        ("variable,level,count\nsex,F,10\n", "sex = 'M' but the margins give no count"),
        ("variable,level,count\nsex,F,10\nsex,M,many\n", "count 'many' is not a number"),
        ("variable,level,count\nage,a,10\nsex,F,1\nsex,M,1\n", "'age' is not one of --rake"),
    ],
)
def test_margins_that_do_not_fit_the_sample_exit_with_a_reason(tmp_path, margins, message):
    path = _write(tmp_path, "r.csv", BAD_CSV.format(q="5", w="1", u="B"))
    result = invoke(path, "--items", "q1", "--by", "unit", "--rake", "sex",
                    "--margins", _write(tmp_path, "m.csv", margins), "--json", "-")  # fmt: skip
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_estimate_does_not_import_pandas():
    """pyarrow's ``to_numpy`` and its Python-to-Arrow conversions import pandas: 0.2 s a run."""
    fpc = str(REFERENCE_DIR / "survey_2k_fpc.csv")
    two_stage = ["--by", "unit", "--strata", "stratum", "--psu", "psu", "--ssu", "ssu",
                 "--fpc", "psu_pop", "--fpc2", "ssu_pop"]  # fmt: skip
    for args in ([CSV, *DESIGN, *RAKE], [fpc, *two_stage]):
        found, proc = imported_by(
            ["estimate", *args, "--items", "q1", "--json", os.devnull], ("pandas",)
        )
        assert found == [] and proc.returncode == 0, proc.stdout + proc.stderr
