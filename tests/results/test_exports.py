"""Downloads: XLSX ready for a decision, CSV for Excel and scripts, microdata for SPSS and Stata."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pyreadstat
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey_app.cli.results import export_cmd
from survey_app.demo.loader import DATA
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.results.models import SubCriterionResult
from survey_app.units.models import Unit
from tests.results.conftest import publish_demo, sign_in

HOSTILE = {
    "C01": '=HYPERLINK("http://x","y")',
    "C02": "@SUM(A1:A9)",
    "C03": "-2+3",
    "C04": "+cmd",
    "C05": "\tTab",
}
ITEMS = [f"Q{i:02d}" for i in range(1, 13)]


def _rows(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_xlsx_has_a_summary_a_formatted_sheet_per_kind_and_the_scorecards(demo_app):
    body = sign_in(demo_app, "viewer").get("/results/1/ranking.xlsx?lang=vi").data
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["Tóm tắt", "Cục", "Vụ và tương đương", "Phiếu điểm"]
    ws = wb["Cục"]
    assert ws["A1"].value == "Điều tra xã hội học CCHC 2018 (demo)"
    assert ws["A2"].value.startswith("Lần tính 1 (tạm tính)")
    header = [c.value for c in ws[5]]
    assert header[:8] == [
        "Loại đơn vị", "Thứ hạng", "Khoảng thứ hạng, cao nhất", "Khoảng thứ hạng, thấp nhất",
        "Mã đơn vị", "Tên (tiếng Việt)", "Tên (tiếng Anh)", "Chỉ số (%)",
    ]  # fmt: skip
    first = {h: c for h, c in zip(header, ws[6], strict=True)}
    assert first["Mã đơn vị"].value == "C02" and first["Chỉ số (%)"].value == pytest.approx(91.4)
    assert first["Loại đơn vị"].value == "Cục"  # the kind's name, never its code "cuc"
    cards = wb["Phiếu điểm"]
    kinds = {row[0].value for row in cards.iter_rows(min_row=6)}
    assert kinds == {"Cục", "Vụ và tương đương"}
    column = [c.value for c in cards[5]].index("Nguồn điểm")
    sources = {row[column].value for row in cards.iter_rows(min_row=6)}
    assert sources and not sources & {"self", "survey"}
    assert first["Chỉ số (%)"].number_format == "0.00" and first["Thứ hạng"].value == 1
    assert ws.freeze_panes == "A6" and ws.column_dimensions["F"].width == 40
    assert ws.max_row == 5 + 10 and wb["Vụ và tương đương"].max_row == 5 + 11
    assert ws["A5"].font.bold and ws.auto_filter.ref.startswith("A5:")
    assert "10 Cục: chỉ số trung bình đạt 80,26%" in wb["Tóm tắt"]["A6"].value
    with demo_app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(SubCriterionResult))
    assert wb["Phiếu điểm"].max_row - 5 == stored  # one row per unit × sub-criterion


def test_ranking_csv_has_the_field_names_of_parindex_index_and_full_precision(demo_app):
    rows = _rows(sign_in(demo_app, "viewer").get("/results/1/ranking.csv").data)
    assert len(rows) == 21
    assert list(rows[0])[:8] == ["kind", "rank", "rank_low", "rank_high", "unit", "name_vi",
                                 "name_en", "index"]  # fmt: skip
    first = rows[0]
    assert (first["unit"], first["rank"], first["name_vi"]) == ("C02", "1", "Cục Báo chí")
    # the demo round's frame gives the fpc design (docs/ESTIMATORS.md (h))
    assert float(first["index_ci_low"]) == pytest.approx(90.69573245815388, abs=1e-12)
    fell = next(r for r in rows if r["unit"] == "V04")
    assert fell["change"].startswith("-2.2"), "negative numbers stay numbers"


def _make_hostile(app) -> None:
    with app.app_context():
        for code, name in HOSTILE.items():
            unit = db.session.scalar(select(Unit).where(Unit.code == code))
            unit.name_vi = unit.name_en = name
        response = db.session.scalars(select(Response).order_by(Response.id)).first()
        response.attributes = {"sex": "=1+1"}
        db.session.commit()


def test_text_that_starts_like_a_formula_is_written_as_text(demo_app):
    _make_hostile(demo_app)
    admin = sign_in(demo_app, "admin")
    rows = {r["unit"]: r for r in _rows(admin.get("/results/1/ranking.csv").data)}
    for code, name in HOSTILE.items():
        assert rows[code]["name_vi"] == "'" + name
    cards = _rows(admin.get("/results/1/scorecards.csv").data)
    assert {r["name_en"] for r in cards if r["unit"] == "C01"} == {"'" + HOSTILE["C01"]}
    micro = _rows(admin.get("/results/1/microdata.csv").data)
    assert "'=1+1" in {r["sex"] for r in micro}
    wb = load_workbook(io.BytesIO(admin.get("/results/1/ranking.xlsx").data))
    cells = [c for row in wb.worksheets[1].iter_rows() for c in row if c.value in HOSTILE.values()]
    assert len(cells) == 2 * len(HOSTILE)  # name_vi and name_en of each
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def _demo_responses() -> Counter:
    with DATA.joinpath("responses.csv").open(encoding="utf-8") as fh:
        return Counter(_key(r) for r in csv.DictReader(fh))


def _key(row: dict) -> tuple:
    # the demo round declares no weighting variable: a response keeps no sex (anonymity)
    design = tuple(row[k] for k in ("unit", "group", "stratum", "psu"))
    return design + (round(float(row["weight"]), 6),) + tuple(row[q] for q in ITEMS)


def test_microdata_csv_is_the_responses_layout_with_frame_weights(demo_app):
    rows = _rows(sign_in(demo_app, "admin").get("/results/1/microdata.csv").data)
    assert list(rows[0]) == ["response_id", "unit", "group", "stratum", "psu", "weight", *ITEMS]
    assert Counter(_key(r) for r in rows) == _demo_responses()
    assert len({r["response_id"] for r in rows}) == 520


def _read(tmp_path, body: bytes, suffix: str):
    path = tmp_path / f"m.{suffix}"
    path.write_bytes(body)
    reader = pyreadstat.read_sav if suffix == "sav" else pyreadstat.read_dta
    kwargs = {"user_missing": True} if suffix == "sav" else {}
    return reader(str(path), **kwargs)


@pytest.mark.parametrize("suffix", ["sav", "dta"])
def test_spss_and_stata_files_carry_labels_weights_and_design(demo_app, tmp_path, suffix):
    body = sign_in(demo_app, "admin").get(f"/results/1/microdata.{suffix}").data
    frame, meta = _read(tmp_path, body, suffix)
    assert len(frame) == 520
    assert list(frame.columns[:6]) == ["response_id", "unit", "group", "stratum", "psu", "weight"]
    assert meta.variable_value_labels["Q01"] == {
        4: "Rất tốt", 3: "Tốt", 2: "Chưa tốt", 1: "Kém", 9: "Không biết"
    }  # fmt: skip
    labels = meta.column_names_to_labels
    assert labels["Q01"].startswith("Lãnh đạo đơn vị quan tâm")
    assert labels["weight"].startswith("Trọng số")
    c01 = frame[frame["stratum"] == "C01-leader"]
    assert len(c01) == 8 and set(c01["weight"].round(9)) == {2.0}
    assert frame["weight"].sum() == pytest.approx(_population())
    if suffix == "sav":
        assert meta.missing_ranges["Q01"] == [{"lo": 9.0, "hi": 9.0}]


def _population() -> float:
    with DATA.joinpath("frame.csv").open(encoding="utf-8") as fh:
        return sum(float(r["population"]) for r in csv.DictReader(fh))


def test_microdata_is_for_admins_only_even_once_published(demo_app):
    publish_demo(demo_app)
    assert sign_in(demo_app, "viewer").get("/results/1/microdata.csv").status_code == 403
    assert sign_in(demo_app, None).get("/results/1/microdata.sav").status_code == 302
    assert sign_in(demo_app, None).get("/results/1/ranking.xlsx").status_code == 200
    assert sign_in(demo_app, "admin").get("/results/1/microdata.pdf").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_rounds_export_command_writes_the_microdata(demo_app, tmp_path, fmt):
    out = tmp_path / f"round1.{fmt}"
    env = {
        "PARINDEX_DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
        "PARINDEX_INSTANCE_PATH": demo_app.config["INSTANCE_PATH"],
        "PARINDEX_SECRET_KEY": demo_app.config["SECRET_KEY"],
    }
    result = CliRunner().invoke(export_cmd, ["1", "--format", fmt, str(out)], env=env)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        assert Counter(_key(r) for r in _rows(out.read_bytes())) == _demo_responses()
    elif fmt == "xlsx":
        wb = load_workbook(out)
        assert wb.sheetnames == ["responses", "variables", "value_labels"]
        assert wb["responses"].max_row == 521
    else:
        assert len(_read(tmp_path, out.read_bytes(), fmt)[0]) == 520


def test_rounds_export_command_fails_with_one_line_for_an_unknown_round(demo_app, tmp_path):
    env = {"PARINDEX_DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
           "PARINDEX_INSTANCE_PATH": demo_app.config["INSTANCE_PATH"],
           "PARINDEX_SECRET_KEY": demo_app.config["SECRET_KEY"]}  # fmt: skip
    result = CliRunner().invoke(export_cmd, ["99", "--format", "csv", str(tmp_path / "x.csv")],
                                env=env)  # fmt: skip
    assert result.exit_code != 0 and "no round 99" in result.output
