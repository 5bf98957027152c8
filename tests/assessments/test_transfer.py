"""Import and export of self-assessments: the documented CSV, the XLSX template, the command."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from survey_app.assessments.models import BonusPenalty, SelfAssessment
from survey_app.extensions import db
from survey_app.rounds.models import Round
from tests.assessments.conftest import count
from tests.conftest import EXAMPLES

HEADER = "unit,subcriterion,self_points,appraised_points,note\n"


def _points(world, unit="C01") -> dict[str, tuple[float | None, str]]:
    with world.app.app_context():
        rows = db.session.scalars(
            select(SelfAssessment).where(SelfAssessment.unit_id == world.units[unit])
        )
        return {sa.subcriterion.code: (sa.self_points, sa.state) for sa in rows}


def _post_file(client, url, name: str, body: bytes):
    return client.post(url, data={"file": (io.BytesIO(body), name)})


def test_the_xlsx_template_filled_in_and_uploaded_becomes_the_draft(world):
    focal = world.client("focal")
    template = focal.get(world.sheet_url() + "/export.xlsx")
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.data))
    ws = wb["self_assessment"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["unit", "subcriterion"] and ws.max_row == 1 + len(world.subs)
    points_col, note_col = header.index("self_points") + 1, header.index("note") + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=points_col, value=1.5)
        ws.cell(row=row, column=note_col, value="Quyết định số 5")
    out = io.BytesIO()
    wb.save(out)
    done = _post_file(focal, world.sheet_url() + "/import", "mau.xlsx", out.getvalue())
    assert done.status_code == 302, done.text
    assert set(_points(world).values()) == {(1.5, "draft")}
    sid = world.subs["1.1.1"][0]
    focal.post(world.sheet_url(), data=world.full_sheet(**{f"note_{sid}": "=1+1"}))
    again = load_workbook(io.BytesIO(focal.get(world.sheet_url() + "/export.xlsx").data))
    note = again["self_assessment"].cell(row=2, column=note_col)
    assert note.value == "=1+1" and note.data_type != "f"  # text, not a formula


def test_a_bad_file_changes_nothing_and_lists_every_problem_with_its_row(world):
    focal = world.client("focal")
    focal.post(world.sheet_url(), data=world.full_sheet(points=1, action="save"))
    before = _points(world)
    body = HEADER + (
        "C01,1.1.1,9,,too many points\n"
        "C01,1.1.2,abc,,not a number\n"
        "C01,9.9.9,1,,unknown\n"
        "C01,1.1.3,1,,\n"
        "C01,1.1.3,1,,again\n"
    )
    refused = _post_file(focal, world.sheet_url() + "/import", "x.csv", body.encode())
    assert refused.status_code == 400
    for problem in (
        "dòng 2: self_points 9 nằm ngoài khoảng 0 … 3",
        "dòng 3: self_points &#39;abc&#39; không phải là số",
        "dòng 4: đơn vị &#39;C01&#39; không có tiêu chí thành phần tự đánh giá &#39;9.9.9&#39;",
        "dòng 6: C01 1.1.3 bị lặp (xuất hiện lần đầu ở dòng 5)",
    ):
        assert problem in refused.text
    assert _points(world) == before


def test_a_unit_file_may_not_touch_another_unit_nor_set_appraised_points(world):
    focal = world.client("focal")
    body = HEADER + "C01,1.1.1,1.005,,\nC02,1.1.1,1,,\nC01,1.1.2,1,1,\n"
    refused = _post_file(focal, world.sheet_url() + "/import", "x.csv", body.encode())
    assert refused.status_code == 400
    assert "dòng 3: đơn vị C02 không phải là C01" in refused.text
    assert "dòng 4: điểm thẩm định do cán bộ thẩm định nhập" in refused.text
    assert "dòng 2: self_points 1.005: " in refused.text
    assert count(world.app, SelfAssessment) == 0


def test_the_csv_export_is_the_documented_layout_with_formulas_quoted(world):
    focal = world.client("focal")
    sid = world.subs["1.1.1"][0]
    focal.post(world.sheet_url(), data=world.full_sheet(**{f"note_{sid}": "@SUM(A1)"}))
    exported = focal.get(world.sheet_url() + "/export.csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == ["unit", "subcriterion", "self_points", "appraised_points", "note"]
    assert rows[0] == {
        "unit": "C01",
        "subcriterion": "1.1.1",
        "self_points": "3.0",
        "appraised_points": "",
        "note": "'@SUM(A1)",
    }
    whole = world.client("viewer").get(f"/assessments/rounds/{world.round_id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(whole.data))["self_assessment"]
    assert sheet.max_row == 1 + 24 * 21  # every unit of the round, filled or not


def test_import_self_command_loads_scores_and_bonus_penalty(cli, world, tmp_path):
    bonus = tmp_path / "bonus_penalty.csv"
    bonus.write_text("unit,bonus,penalty\nC01,1.5,0.5\nV01,,2\n", encoding="utf-8")
    result = cli(
        "rounds", "import-self", world.round_id, EXAMPLES / "self_assessment.csv",
        "--bonus-penalty", bonus,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "504 self-assessed scores, 2 bonus/penalty rows" in result.output
    c01 = _points(world)
    assert c01["1.1.1"] == (2.85, "final")
    with world.app.app_context():
        rows = {b.unit_id: (b.bonus, b.penalty) for b in db.session.scalars(select(BonusPenalty))}
        assert rows[world.units["C01"]] == (1.5, 0.5) and rows[world.units["V01"]] == (0.0, 2.0)


def test_import_self_command_with_a_bad_file_imports_nothing(cli, world, tmp_path):
    bonus = tmp_path / "bonus_penalty.csv"
    bonus.write_text("unit,bonus,penalty\nC01,3,0\nZZ,0,0\n", encoding="utf-8")
    result = cli(
        "rounds", "import-self", world.round_id, EXAMPLES / "self_assessment.csv",
        "--bonus-penalty", bonus,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "row 2: bonus 3 is outside 0 … 2" in result.output
    assert "row 3: unit 'ZZ' is not in this round" in result.output
    assert count(world.app, SelfAssessment) == 0 and count(world.app, BonusPenalty) == 0
    missing = cli("rounds", "import-self", 999, EXAMPLES / "self_assessment.csv")
    assert missing.exit_code == 1 and "round 999 does not exist" in missing.output
    with world.app.app_context():
        db.session.get(Round, world.round_id).state = "published"
        db.session.commit()
    frozen = cli("rounds", "import-self", world.round_id, EXAMPLES / "self_assessment.csv")
    assert frozen.exit_code == 1 and "is published; its scores no longer change" in frozen.output
    assert count(world.app, SelfAssessment) == 0


def test_import_self_command_reads_the_xlsx_template(cli, world, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "self_assessment"
    ws.append(["unit", "subcriterion", "self_points", "appraised_points", "note"])
    ws.append(["C01", "1.1.1", 2, None, "từ XLSX"])
    ws.append([None, None, None, None, None])
    path = tmp_path / "self.xlsx"
    wb.save(path)
    result = cli("rounds", "import-self", world.round_id, path)
    assert result.exit_code == 0, result.output
    assert _points(world)["1.1.1"] == (2.0, "submitted")


def test_an_admin_imports_a_whole_round_from_the_web(world):
    admin = world.client("admin")
    body = (EXAMPLES / "self_assessment.csv").read_bytes()
    url = f"/assessments/rounds/{world.round_id}/import"
    assert _post_file(admin, url, "self.csv", body).status_code == 302
    assert count(world.app, SelfAssessment) == 504
    bad = _post_file(admin, url, "self.txt", b"x")
    assert bad.status_code == 400 and "hãy dùng tệp .csv hoặc .xlsx" in bad.text
