"""Importing criteria sets, questionnaires and units: all or nothing, every problem listed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey_app.criteria.models import CriteriaSet, SubCriterion
from survey_app.extensions import db
from survey_app.questionnaires.models import Item
from survey_app.units.models import Unit
from tests.conftest import EXAMPLES


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def with_questionnaire(cli):
    result = cli("import", "questionnaire", EXAMPLES / "questionnaire.yaml")
    assert result.exit_code == 0, result.output
    return cli


def test_examples_import_cleanly(with_questionnaire, sqlite_app):
    cli = with_questionnaire
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        result = cli("import", "criteria-set", EXAMPLES / name)
        assert result.exit_code == 0, result.output
        assert "100 points" in result.output
    result = cli("import", "units", EXAMPLES / "units.csv")
    assert result.exit_code == 0, result.output
    assert "21 created" in result.output
    assert _count(sqlite_app, Item) == 12
    assert _count(sqlite_app, CriteriaSet) == 2
    assert _count(sqlite_app, Unit) == 21


def _broken_criteria_set(tmp_path):
    text = (EXAMPLES / "criteria_set_cuc.yaml").read_text(encoding="utf-8")
    text = text.replace('code: "1.1.2"', 'code: "1.1.1"', 1)  # duplicate code
    text = text.replace("items: [Q01, Q02]", "items: [Q01, Q99]", 1)  # unknown item
    text = text.replace("official: 0.6}", "official: 0.5}", 1)  # weights sum to 0.9
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_criteria_set_lists_all_three_problems_and_imports_nothing(
    with_questionnaire, sqlite_app, tmp_path
):
    result = with_questionnaire("import", "criteria-set", _broken_criteria_set(tmp_path))
    assert result.exit_code == 1
    out = result.output
    assert "3 problem(s), nothing imported" in out
    assert "duplicate sub-criterion code '1.1.1'" in out
    assert "unknown questionnaire item 'Q99'" in out
    assert "sum to 0.9" in out
    assert "line " in out  # problems carry their line
    assert _count(sqlite_app, CriteriaSet) == 0
    assert _count(sqlite_app, SubCriterion) == 0


def test_criteria_set_before_its_questionnaire_says_to_import_that_first(cli, tmp_path):
    result = cli("import", "criteria-set", EXAMPLES / "criteria_set_cuc.yaml")
    assert result.exit_code == 1
    assert "import the questionnaire first" in result.output


def test_same_criteria_set_code_twice_is_refused(with_questionnaire, sqlite_app):
    assert (
        with_questionnaire("import", "criteria-set", EXAMPLES / "criteria_set_cuc.yaml").exit_code
        == 0
    )
    again = with_questionnaire("import", "criteria-set", EXAMPLES / "criteria_set_cuc.yaml")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert _count(sqlite_app, CriteriaSet) == 1


def test_broken_questionnaire_reports_every_problem(cli, sqlite_app, tmp_path):
    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    text = text.replace("score: 0.75", "score: 1.75", 1).replace("scale: q4", "scale: q5", 1)
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("import", "questionnaire", path)
    assert result.exit_code == 1
    assert "score must be ≤ 1" in result.output
    assert "unknown scale 'q5'" in result.output
    assert _count(sqlite_app, Item) == 0


def test_units_file_with_bad_rows_imports_nothing(cli, sqlite_app, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "code,kind,name_vi,name_en\nC01,cuc,A,A\nC01,cuc,B,B\nC02,,C,C\n", encoding="utf-8"
    )
    result = cli("import", "units", path)
    assert result.exit_code == 1
    assert "row 3: duplicate unit code 'C01'" in result.output
    assert "row 4: empty kind" in result.output
    assert _count(sqlite_app, Unit) == 0


def test_units_file_without_a_column_names_it(cli, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name_vi,name_en\nC01,A,A\n", encoding="utf-8")
    result = cli("import", "units", path)
    assert result.exit_code == 1
    assert "missing column(s): kind" in result.output


def test_reimporting_units_updates_names_without_duplicates(cli, sqlite_app, tmp_path):
    assert cli("import", "units", EXAMPLES / "units.csv").exit_code == 0
    path = tmp_path / "units.csv"
    path.write_text("code,kind,name_vi,name_en\nC01,cuc,Cục mới,New\n", encoding="utf-8")
    result = cli("import", "units", path)
    assert "0 created, 1 updated" in result.output
    assert _count(sqlite_app, Unit) == 21
