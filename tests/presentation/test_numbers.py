"""One presentation layer: the same figure reads the same on every page, in the language's
format, and a difference has one direction everywhere (appraised − self)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.core import numbers
from survey_app.core.fields import parse_local
from survey_app.extensions import db
from tests.results.conftest import sign_in


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (79.554, "vi", "79,55"),
        (79.554, "en", "79.55"),
        (1234.5, "vi", "1.234,50"),
        (1234.5, "en", "1,234.50"),
        (2.675, "vi", "2,68"),  # half up on the decimal people see
        (2.60333, "vi", "2,60"),
        (-0.001, "vi", "0,00"),  # never "-0,00"
        (None, "vi", "—"),
    ],
)
def test_points_have_two_decimals_and_the_languages_separators(value, lang, expected):
    assert numbers.points(value, lang) == expected


def test_counts_keep_no_decimals_and_group_thousands():
    assert numbers.number(1234, "vi") == "1.234"
    assert numbers.number(1234, "en") == "1,234"


def test_percentages_have_one_decimal():
    assert numbers.percent(0.8234, "vi") == "82,3%"
    assert numbers.percent(0.8234, "en") == "82.3%"
    assert numbers.percent(None, "vi") == "—"


def test_signed_differences_always_show_their_sign_with_a_true_minus():
    assert numbers.signed(0.25, "vi") == "+0,25"
    assert numbers.signed(-0.246673, "vi") == "\u22120,25"
    assert numbers.signed(-0.246673, "en") == "\u22120.25"
    assert numbers.signed(0.0001, "vi") == "0,00"
    assert numbers.signed(None, "vi") == "—"


def test_the_difference_is_appraised_minus_self():
    assert numbers.difference(2.60, 2.85) == pytest.approx(-0.25)
    assert numbers.difference(None, 2.85) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("31/12/2026 17:00", dt.datetime(2026, 12, 31, 17, 0)),
        ("1/2/2027 8:05", dt.datetime(2027, 2, 1, 8, 5)),
        ("31/12/2026 17h", dt.datetime(2026, 12, 31, 17, 0)),
        ("31/12/2026 17h30", dt.datetime(2026, 12, 31, 17, 30)),
        ("2026-12-31T17:00", dt.datetime(2026, 12, 31, 17, 0)),
        ("2026-12-31 17:00", dt.datetime(2026, 12, 31, 17, 0)),
        ("12/31/2026 17:00", None),  # month first is not read as a date
        ("31/12/2026", None),  # a closing time needs its hour
        ("hôm nay", None),
    ],
)
def test_typed_times_are_read_day_first_or_iso(typed, expected):
    assert parse_local(typed) == expected


def _row(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</tr>", 1)[0]


def test_the_same_difference_reads_the_same_on_every_page_and_file(demo_app):
    """C01, sub-criterion 1.1.1: self 2.85, appraised 2.60 → −0,25 on the assessment
    sheet, the item page and the scorecard; negative in both exports."""
    from survey_app.assessments.models import SelfAssessment
    from survey_app.criteria.models import SubCriterion
    from survey_app.units.models import Unit

    with demo_app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "C01"))
        sa = db.session.scalars(
            select(SelfAssessment)
            .join(SubCriterion, SelfAssessment.subcriterion_id == SubCriterion.id)
            .where(SelfAssessment.unit_id == unit.id, SubCriterion.code == "1.1.1")
        ).one()
        unit_id, sa_id = unit.id, sa.id
        assert (sa.self_points, round(sa.appraised_points, 2)) == (2.85, 2.60)
    admin = sign_in(demo_app, "admin")

    sheet = admin.get(f"/assessments/rounds/1/units/{unit_id}?lang=vi").text
    cells = re.findall(r'<td class="num">([^<]*)</td>', _row(sheet, ">1.1.1</a>"))
    assert cells == ["3,00", "2,85", "2,60", "\u22120,25"]
    assert "Chênh lệch (thẩm định − tự đánh giá)" in sheet

    item = admin.get(f"/assessments/items/{sa_id}?lang=vi").text
    assert "<dd>2,60</dd>" in item and "<dd>\u22120,25</dd>" in item
    assert "Chênh lệch (thẩm định − tự đánh giá)" in item

    card = admin.get("/results/1/units/C01?lang=vi").text
    self_table = card.split('class="data subs self"')[1].split("</table>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', _row(self_table, "1.1.1</span>"))
    assert cells == ["3,00", "2,85", "2,60", "\u22120,25"]
    assert "Chênh lệch (thẩm định − tự đánh giá)" in self_table

    english = admin.get("/results/1/units/C01?lang=en").text
    assert "\u22120.25" in _row(english.split('class="data subs self"')[1], "1.1.1</span>")

    # Files keep machine numbers (dot decimals) with the same sign.
    text = admin.get("/results/1/scorecards.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = [r for r in rows if r["unit"] == "C01" and r["subcriterion"] == "1.1.1"]
    assert len(mine) == 1 and float(mine[0]["difference"]) == pytest.approx(-0.25, abs=0.005)
    assert "." in mine[0]["difference"] and "," not in mine[0]["difference"]

    xlsx = admin.get(f"/assessments/rounds/1/units/{unit_id}/export.xlsx").data
    ws = load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in ws[1]]
    line = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "1.1.1")
    assert line[header.index("difference")] == pytest.approx(-0.25, abs=0.005)
