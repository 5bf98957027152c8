"""``parindex index`` on the format examples reproduces ``expected_index.json``."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey_app.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
EXPECTED = json.loads((EXAMPLES / "expected_index.json").read_text(encoding="utf-8"))
REL = 1e-9


def _args(folder: Path, out: str, *extra: str) -> list[str]:
    return [
        "index",
        "--criteria-set", str(folder / "criteria_set_cuc.yaml"),
        "--criteria-set", str(folder / "criteria_set_vu.yaml"),
        "--questionnaire", str(folder / "questionnaire.yaml"),
        "--units", str(folder / "units.csv"),
        "--self", str(folder / "self_assessment.csv"),
        "--responses", str(folder / "responses.csv"),
        "--previous", str(folder / "previous.csv"),
        "--json", out,
        *extra,
    ]  # fmt: skip


def _run(folder: Path, *extra: str):
    return CliRunner().invoke(main, _args(folder, "-", *extra))


@pytest.fixture(scope="module")
def output() -> dict:
    result = _run(EXAMPLES)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _assert_same(expected, got, path: str = "") -> None:
    """Every field of ``expected`` is in ``got``, numbers equal to 1e-9 relative."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in got, f"{path}.{key} missing"
            _assert_same(value, got[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), f"{path}: {len(got)} rows, expected {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            _assert_same(e, g, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert math.isclose(got, expected, rel_tol=REL, abs_tol=1e-12), f"{path}: {got}"
    else:
        assert got == expected, f"{path}: {got!r} != {expected!r}"


def test_meta_has_design_df_and_t(output):
    _assert_same(EXPECTED["meta"], output["meta"])
    assert output["meta"]["seed"] == 20180101 and output["meta"]["draws"] == 10_000


@pytest.mark.parametrize("i", range(len(EXPECTED["units"])))
def test_unit_reproduces_expected(output, i):
    _assert_same(EXPECTED["units"][i], output["units"][i], f"units[{i}]")


def test_every_subcriterion_reproduces_expected(output):
    _assert_same(EXPECTED["subcriteria"], output["subcriteria"], "subcriteria")


def test_without_a_frame_the_design_is_the_psus_with_replacement(output):
    assert output["meta"]["fpc"] is False and "with replacement" in output["meta"]["design"]


def test_a_frame_gives_fpc_standard_errors_and_keeps_every_point(output, tmp_path):
    result = _run(EXAMPLES, "--frame", str(EXAMPLES / "frame.csv"))
    assert result.exit_code == 0, result.output
    fpc = json.loads(result.output)
    assert fpc["meta"]["fpc"] is True and "ids = ~1" in fpc["meta"]["design"]
    assert fpc["meta"]["df"] == 520 - 42  # every response its own PSU, 42 strata
    for a, b in zip(output["units"], fpc["units"], strict=True):
        assert a["unit"] == b["unit"] and a["rank"] == b["rank"]
        assert math.isclose(a["index"], b["index"], rel_tol=1e-12)
    pairs = zip(output["units"], fpc["units"], strict=True)
    assert all(a["index_se"] != b["index_se"] for a, b in pairs)


def test_a_frame_without_a_stratum_of_the_responses_is_refused(copy):
    lines = (copy / "frame.csv").read_text(encoding="utf-8").splitlines()
    (copy / "frame.csv").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    gone = lines[1].split(",")[0]
    result = _run(copy, "--frame", str(copy / "frame.csv"))
    assert result.exit_code == 1
    assert f"stratum '{gone}' has responses but is not in the frame" in result.output


def test_summary_reproduces_expected(output):
    _assert_same(EXPECTED["summary"], output["summary"], "summary")
    assert all(s["ministry_index"] is None for s in output["summary"])


def test_output_has_every_field_of_the_format(output):
    unit_fields = """unit kind self_points survey_points survey_se bonus penalty max_points index
        index_se index_ci_low index_ci_high rank rank_low rank_high previous_index change
        areas flags""".split()
    sub_fields = "unit subcriterion source max_points points se ci_low ci_high groups flags"
    assert all(set(unit_fields) <= set(u) for u in output["units"])
    assert all(set(sub_fields.split()) <= set(s) for s in output["subcriteria"])


def test_rank_interval_contains_the_rank(output):
    for u in output["units"]:
        assert u["rank_low"] <= u["rank"] <= u["rank_high"], u["unit"]


def test_same_seed_gives_the_same_rank_intervals():
    runs = [json.loads(_run(EXAMPLES, "--seed", "5", "--draws", "500").output) for _ in range(2)]
    assert runs[0]["units"] == runs[1]["units"]
    assert runs[0]["meta"]["seed"] == 5 and runs[0]["meta"]["draws"] == 500


def test_ministry_index_appears_in_every_summary():
    out = json.loads(_run(EXAMPLES, "--ministry-index", "79.21", "--draws", "50").output)
    assert [s["ministry_index"] for s in out["summary"]] == [79.21, 79.21]


def test_writes_a_json_file(tmp_path):
    target = tmp_path / "index.json"
    result = CliRunner().invoke(main, _args(EXAMPLES, str(target), "--draws", "50"))
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text(encoding="utf-8"))["units"]) == 21


@pytest.fixture
def copy(tmp_path) -> Path:
    for path in EXAMPLES.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(folder: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _fails_with(folder: Path, message: str) -> None:
    result = _run(folder, "--draws", "10")
    assert result.exit_code != 0
    assert message in result.output
    assert result.output.strip().count("\n") == 0, result.output  # one line


def test_missing_response_column_is_a_one_line_error(copy):
    _edit(
        copy,
        "responses.csv",
        "response_id,unit,group,stratum,psu,weight",
        "id,unit,group,s,psu,weight",
    )
    _fails_with(copy, "responses.csv: missing column(s) stratum")


def test_non_numeric_weight_is_a_one_line_error(copy):
    _edit(copy, "responses.csv", ",1.800000,", ",heavy,")
    _fails_with(copy, "responses.csv: line 2, column 6 (weight): 'heavy' is not a finite number")


def test_non_numeric_answer_is_a_one_line_error(copy):
    _edit(copy, "responses.csv", "F,4,1,", "F,four,1,")
    _fails_with(copy, "responses.csv: line 2, column 8 (Q01): 'four' is not a finite number")


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "NaN", "Infinity"])
def test_answer_that_cannot_be_a_number_is_refused_with_line_and_column(copy, value):
    _edit(copy, "responses.csv", "F,4,1,", f"F,{value},1,")
    _fails_with(copy, f"responses.csv: line 2, column 8 (Q01): '{value}' is not a finite number")


def test_infinite_weight_is_refused(copy):
    _edit(copy, "responses.csv", ",1.800000,", ",inf,")
    _fails_with(copy, "responses.csv: line 2, column 6 (weight): 'inf' is not a finite number")


def test_unit_named_all_is_refused_as_reserved(copy):
    _edit(copy, "responses.csv", "8a638100,V11,", "8a638100,_ALL_,")
    _fails_with(copy, "responses.csv: line 2, column 2 (unit): _ALL_ is reserved")


def test_na_answer_is_not_answered_like_an_empty_cell(copy, tmp_path):
    empty = _run(copy, "--draws", "10")
    assert empty.exit_code == 0, empty.output
    _edit(copy, "responses.csv", "F,4,1,,2,", "F,4,1,NA,2,")
    na = _run(copy, "--draws", "10")
    assert na.exit_code == 0, na.output
    assert json.loads(na.output)["units"] == json.loads(empty.output)["units"]


def test_unknown_unit_in_self_assessment_is_a_one_line_error(copy):
    _edit(copy, "self_assessment.csv", "C01,1.1.1,", "C99,1.1.1,")
    _fails_with(copy, "self-assessment: unknown unit C99")


def test_unknown_item_in_criteria_set_is_a_one_line_error(copy):
    _edit(copy, "criteria_set_cuc.yaml", "items: [Q01, Q02]", "items: [Q01, Q99]")
    _fails_with(copy, "sub-criterion 1.2.1 names unknown item Q99")


def test_unquoted_float_code_is_a_one_line_error(copy):
    _edit(copy, "criteria_set_cuc.yaml", '- code: "1.1"', "- code: 1.1")
    _fails_with(copy, "criterion code 1.1 must be a quoted string")


def test_bonus_penalty_file_moves_the_index(copy):
    (copy / "bonus_penalty.csv").write_text("unit,bonus,penalty\nC01,1.5,\nC02,,0.4\n", "utf-8")
    result = _run(copy, "--bonus-penalty", str(copy / "bonus_penalty.csv"), "--draws", "50")
    units = {u["unit"]: u for u in json.loads(result.output)["units"]}
    assert units["C01"]["index"] == pytest.approx(81.88 + 1.5, rel=REL)
    assert units["C02"]["index"] == pytest.approx(91.4 - 0.4, rel=REL)
    assert units["C01"]["bonus"] == 1.5 and units["C02"]["penalty"] == 0.4


def test_empty_appraised_points_use_self_points_with_a_flag(copy):
    _edit(copy, "self_assessment.csv", "C01,1.1.1,2.85,2.603326530612,", "C01,1.1.1,2.85,,")
    out = json.loads(_run(copy, "--draws", "50").output)
    row = next(s for s in out["subcriteria"] if (s["unit"], s["subcriterion"]) == ("C01", "1.1.1"))
    assert row["points"] == 2.85 and row["flags"] == ["not_appraised"]
    assert "not_appraised" in out["units"][0]["flags"]


def test_previous_file_uses_each_units_latest_year(copy):
    with open(copy / "previous.csv", "a", encoding="utf-8") as fh:
        fh.write("C01,2016,50.00\n")
    out = json.loads(_run(copy, "--draws", "50").output)
    assert out["units"][0]["previous_index"] == 78.94
