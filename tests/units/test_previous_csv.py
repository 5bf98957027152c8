"""The previous-results reader and ``parindex import previous``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.formats.previous_csv import PreviousRow, parse_previous
from survey_app.formats.problems import InvalidFile
from survey_app.units.models import PreviousResult
from tests.conftest import EXAMPLES
from tests.rounds.conftest import load_examples


def test_the_example_file_reads_with_row_numbers():
    text = (EXAMPLES / "previous.csv").read_text(encoding="utf-8")
    rows = parse_previous(text, "previous.csv", None)
    assert rows[0] == PreviousRow("C01", 2017, 78.94, 2)
    assert len(rows) == len(text.strip().splitlines()) - 1


def test_every_problem_is_listed():
    text = (
        "unit,year,index\n"
        "C01,2017,78.5\n"
        "NOPE,2017,50\n"
        "C02,17.5,50\n"
        "C03,2017,100.5\n"
        "C04,2017,abc\n"
        "C01,2017,79\n"
        ",2017,50\n"
        "C05,2017,-1\n"
    )
    with pytest.raises(InvalidFile) as caught:
        parse_previous(text, "p.csv", {"C01", "C02", "C03", "C04", "C05"})
    assert [str(p) for p in caught.value.problems] == [
        "row 3: unknown unit 'NOPE'",
        "row 4: year '17.5' is not a year from 1990 to 2100",
        "row 5: index 100.5 is outside 0 … 100",
        "row 6: index 'abc' is not a number",
        "row 7: C01 2017 repeated (first at row 2)",
        "row 8: empty unit",
        "row 9: index -1 is outside 0 … 100",
    ]


def test_a_missing_column_or_an_empty_file_is_a_problem():
    with pytest.raises(InvalidFile, match="1 problem"):
        parse_previous("unit,index\nC01,50\n", "p.csv", None)
    with pytest.raises(InvalidFile) as caught:
        parse_previous("unit,year,index\n", "p.csv", None)
    assert str(caught.value.problems[0]) == "row 2: the file has no rows"


def test_the_cli_stores_the_file_and_refuses_a_bad_one_whole(cli, sqlite_app, tmp_path):
    with sqlite_app.app_context():
        load_examples()
        db.session.commit()
    good = tmp_path / "previous.csv"
    good.write_text("unit,year,index\nC01,2017,78.94\nC02,2016,80\n", encoding="utf-8")
    result = cli("import", "previous", good)
    assert result.exit_code == 0, result.output
    assert "2 stored" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,year,index\nC01,2017,10\nXX,2017,10\nC02,2017,101\n", encoding="utf-8")
    result = cli("import", "previous", bad)
    assert result.exit_code == 1
    assert "unknown unit 'XX'" in result.output and "outside 0 … 100" in result.output
    with sqlite_app.app_context():
        stored = db.session.execute(select(PreviousResult.year, PreviousResult.index_value)).all()
        assert sorted(stored) == [(2016, 80.0), (2017, 78.94)]
