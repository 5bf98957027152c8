"""XLSForm as KoboToolbox, ODK and pyxform write it (issue 19): every spelling pyxform
reads, the kinds of question, metadata dropped with a warning, unsupported constructs
refused by row; a Kobo-style PAR form runs end to end (invite, answer every kind, draft,
aggregate only the scored items, export)."""

from __future__ import annotations

import io
import re

import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.formats.xlsform import parse_xlsform
from survey_app.invitations.models import ResponseDraft
from survey_app.questionnaires.models import Item, Questionnaire, ScaleLevel
from survey_app.responses.models import Response
from tests.rounds.xlsform_books import kobo_form, workbook

#: These rounds declare no population margins, so their lists carry no weighting column.
LIST_HEADER = "email,name,group,unit,stratum,psu\n"


def _parse(path):
    return parse_xlsform(path.read_bytes(), path.name)


def _shape(spec):
    return [
        (s.title_vi, s.title_en, [(i.code, i.kind, i.text_vi, i.text_en) for i in s.items])
        for s in spec.sections
    ]


# -- spellings ---------------------------------------------------------------------------

CANONICAL = {
    "vi": "label::Tiếng Việt (vi)",
    "en": "label::English (en)",
    "list": "list_name",
    "begin": "begin_group",
    "end": "end_group",
    "select": "select_one yn",
    "type": "type",
    "name": "name",
}
VARIANTS = {
    "canonical": {},
    "upper-case headers": {"type": "TYPE", "name": "Name", "vi": "LABEL::Vietnamese (vi)",
                           "en": "Label::English (en)", "list": "List_Name"},
    "list name with a space": {"list": "list name"},
    "label:Language (single colon)": {"vi": "label:Vietnamese", "en": "label:English"},
    "begin group with a space": {"begin": "begin group", "end": "end group"},
    "select one from LIST": {"select": "select one from yn"},
    "select one LIST": {"select": "select one yn"},
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_spelling_pyxform_reads_gives_the_same_questionnaire(tmp_path, variant):
    s = CANONICAL | VARIANTS[variant]
    path = workbook(
        tmp_path / "form.xlsx",
        [
            [s["type"], s["name"], s["vi"], s["en"]],
            [s["begin"], "g1", "Phần một", "Part one"],
            [s["select"], "ok", "Ổn không?", "All right?"],
            ["select_one q3", "Q01", "Hài lòng?", "Satisfied?"],
            [s["end"], "", "", ""],
        ],
        [
            [s["list"], s["name"], s["vi"], s["en"]],
            ["yn", "yes", "Có", "Yes"],
            ["yn", "no", "Không", "No"],
            ["q3", 1, "Kém", "Poor"],
            ["q3", 2, "Được", "Fair"],
            ["q3", 3, "Tốt", "Good"],
        ],
        [["form_id", "form_title"], ["SPELL-1", "Thử"]],
    )
    spec = _parse(path)
    assert spec.code == "SPELL-1"
    assert _shape(spec) == [
        (
            "Phần một",
            "Part one",
            [
                ("ok", "choice", "Ổn không?", "All right?"),
                ("Q01", "scale", "Hài lòng?", "Satisfied?"),
            ],
        )
    ]
    assert [lv.name for lv in spec.scales["yn"]] == ["yes", "no"]
    assert [lv.score for lv in spec.scales["q3"]] == [0.0, 0.5, 1.0]


def test_form_id_defaults_to_the_file_name_and_one_language_stands_for_both(tmp_path):
    """pyxform's ``yes_or_no_question``: plain label, no settings sheet, no groups."""
    path = workbook(
        tmp_path / "yes_or_no_question.xlsx",
        [["type", "name", "label"], ["select_one yes_or_no", "good_day", "Good day today?"]],
        [["list name", "name", "label"], ["yes_or_no", "yes", "Yes"], ["yes_or_no", "no", "No"]],
    )
    spec = _parse(path)
    assert spec.code == "yes_or_no_question"
    item = spec.items()[0]
    assert (item.kind, item.text_vi, item.text_en, item.groups) == (
        "choice", "Good day today?", "Good day today?", ("*",)
    )  # fmt: skip
    assert any("no form_id" in w for w in spec.warnings)
    assert any("every question is asked of every respondent group" in w for w in spec.warnings)
    assert "scored items (0): none; stored, not scored: good_day (choice)" == spec.summary()


def test_text_integer_field_list_groups_and_case_insensitive_types_import(tmp_path):
    """pyxform's ``text_and_integer``, ``field-list``, ``group`` and ``case_insensitivity``."""
    path = workbook(
        tmp_path / "mixed.xlsx",
        [
            ["Type", "Name", "Label::English (en)", "Appearance", "Hint", "Constraint"],
            ["text", "your_name", "What is your name?", "", "Full name", ""],
            ["Begin Group", "about", "About you", "field-list", "", ""],
            ["INTEGER", "your_age", "How old are you?", "", "", ". > 17 and . < 121"],
            ["decimal", "height", "Height (m)", "", "", ". >= 0.5 and . <= 2.5"],
            ["Date", "born", "Date of birth", "", "", ""],
            ["begin group", "inner", "Inner", "", "", ""],
            ["note", "thanks", "Thank you", "", "", ""],
            ["end group", "", "", "", "", ""],
            ["End Group", "", "", "", "", ""],
        ],
    )
    spec = _parse(path)
    assert [(i.code, i.kind) for i in spec.items()] == [
        ("your_name", "text"), ("your_age", "integer"), ("height", "decimal"),
        ("born", "date"), ("thanks", "note"),
    ]  # fmt: skip
    age = spec.items()[1]
    assert (age.minimum, age.maximum) == (18, 120)
    assert spec.items()[2].minimum == 0.5
    warnings = "\n".join(spec.warnings)
    assert "appearance is ignored" in warnings and "hint" not in warnings
    assert spec.items()[0].hint_en == "Full name"
    assert "survey row 7: a group inside a group is shown on its outer group's page" in warnings
    assert "no Vietnamese text: the English one is used" in warnings


def test_unsupported_constructs_are_refused_with_sheet_row_and_reason(tmp_path):
    """As in pyxform's ``xlsform_spec_test``: every problem names its row."""
    path = workbook(
        tmp_path / "spec_test.xlsx",
        [
            ["type", "name", "label", "constraint", "choice_filter", "media::image"],
            ["select_one colors or_other", "color", "Colour?", "", "", ""],
            ["calculate", "total", "", "", "", ""],
            ["begin repeat", "members", "Members", "", "", ""],
            ["text", "member", "Name", "", "", ""],
            ["end repeat", "", "", "", "", ""],
            ["geopoint", "where", "Where?", "", "", ""],
            ["image", "photo", "Photo", "", "", ""],
            ["select_one colors", "c2", "Colour again?", "", "colour = ${color}", ""],
            ["text", "t1", "Text", "string-length(.) < 5", "", ""],
            ["note", "n1", "Look", "", "", "cat.jpg"],
            ["time", "when", "When?", "", "", ""],
            ["text", "t2", "Why?", "", "", ""],
        ],
        [["list_name", "name", "label"], ["colors", "red", "Red"], ["colors", "blue", "Blue"]],
    )
    with pytest.raises(InvalidFile) as caught:
        _parse(path)
    report = caught.value.report()
    for expected in (
        "survey row 3: question type 'calculate' is not supported: calculations",
        "survey row 4: question type 'begin repeat' is not supported: repeats",
        "survey row 7: question type 'geopoint' is not supported: locations",
        "survey row 8: question type 'image' is not supported: photos and files",
        "survey row 9: column 'choice_filter' is not supported (value 'colour = ${color}'): "
        "choice filters",
        "survey row 10: column 'constraint' is not supported (value 'string-length(.) < 5')",
        "survey row 11: column 'media::image' is not supported (value 'cat.jpg')",
        "survey row 12: question type 'time' is not supported: times",
    ):
        assert expected in report
    assert "row 2" not in report  # or_other on a categorical list: supported
    assert "row 5" not in report and "row 13" not in report  # inside a repeat; fine


def test_or_other_adds_a_choice_and_a_text_question_and_selected_is_read(tmp_path):
    """pyxform's ``or_other``; ``selected(${x}, 'name')`` on a select_one as Kobo writes it."""
    path = workbook(
        tmp_path / "or_other.xlsx",
        [
            ["type", "name", "label", "relevant"],
            ["select_one colors or_other", "color", "Colour?", ""],
            ["select_one yn", "likes", "Do you like it?", "selected(${color}, 'red')"],
            ["select_one q3 or_other", "rating", "Rating", ""],
        ],
        [
            ["list_name", "name", "label"],
            ["colors", "red", "Red"],
            ["colors", "blue", "Blue"],
            ["yn", "yes", "Yes"],
            ["yn", "no", "No"],
            *[["q3", n, str(n)] for n in (1, 2, 3)],
        ],
    )
    with pytest.raises(InvalidFile) as caught:
        _parse(path)
    assert caught.value.problems[0].where == "survey row 4"
    assert "'or other' only on a select_one with a categorical list" in caught.value.report()
    path = workbook(tmp_path / "or_other.xlsx", *_rows_without_rating(path))
    spec = _parse(path)
    items = {i.code: i for i in spec.items()}
    assert [i.code for i in spec.items()] == ["color", "color_other", "likes"]
    assert [lv.name for lv in spec.scales[items["color"].scale]] == ["red", "blue", "other"]
    assert items["color_other"].kind == "text" and items["color_other"].relevant == "${color} = 3"
    assert items["likes"].relevant == "${color} = 1"


def _rows_without_rating(path):
    from openpyxl import load_workbook

    book = load_workbook(path)
    survey = [list(r) for r in book["survey"].iter_rows(values_only=True)][:-1]
    return survey, [list(r) for r in book["choices"].iter_rows(values_only=True)]


def test_metadata_is_dropped_with_a_warning_and_relevant_compares_choice_names(tmp_path):
    path = kobo_form(tmp_path / "kobo.xlsx")
    spec = _parse(path)
    warnings = "\n".join(spec.warnings)
    for meta in ("start", "end", "deviceid"):
        assert f"'{meta}' metadata was dropped" in warnings
    assert {i.code for i in spec.items()} & {"start", "end", "deviceid"} == set()
    assert [lv.is_missing for lv in spec.scales["satis"]] == [False] * 5 + [True]
    assert spec.summary().startswith("scored items (2): Q01, Q02; stored, not scored: intro")
    relevant = spec.items()[-1].relevant
    assert relevant == "${Q01} <= 2"


def test_a_condition_on_a_categorical_question_uses_the_choice_name(tmp_path):
    path = workbook(
        tmp_path / "c.xlsx",
        [
            ["type", "name", "label", "relevant"],
            ["select_one sex", "sex", "Sex", ""],
            ["integer", "children", "Children", "${sex} = 'female'"],
            ["text", "why", "Why?", "${sex} = 'other'"],
            ["text", "more", "More?", "${why} != 0"],
        ],
        [["list_name", "name", "label"], ["sex", "male", "Male"], ["sex", "female", "Female"]],
    )
    with pytest.raises(InvalidFile) as caught:
        _parse(path)
    report = caught.value.report()
    assert "survey row 4: unsupported condition" in report  # 'other' is not a choice
    assert "survey row 5: relevant compares why, a text question" in report
    assert "row 3" not in report


# -- end to end --------------------------------------------------------------------------

CRITERIA = """\
code: PAR-KOBO-CUC
name: {vi: "Bộ tiêu chí thử", en: "Trial criteria"}
year: 2026
unit_kind: cuc
min_group_respondents: 1
group_weights: {official: 1.0}
bonus_cap: 2.0
penalty_cap: 5.0
areas:
  - code: "1"
    name: {vi: "Hài lòng", en: "Satisfaction"}
    criteria:
      - code: "1.1"
        name: {vi: "Điều tra xã hội học", en: "Survey"}
        subcriteria:
          - {code: "1.1.1", name: {vi: "Hài lòng", en: "Satisfied"}, source: survey,
             max_points: 10.0, items: [ITEMS]}
"""


def _kobo_round(cli, app, tmp_path) -> tuple[int, list[str]]:
    from tests.rounds.conftest import invite

    # two people in two PSUs: a minimum cell of 2 would pool the PSUs (and leave no df)
    app.config["MIN_CELL_SIZE"] = 1

    result = cli("import", "questionnaire", kobo_form(tmp_path / "kobo.xlsx"))
    assert result.exit_code == 0, result.output
    assert "warning: survey row 2: 'start' metadata was dropped" in result.output
    assert "scored items (2): Q01, Q02; stored, not scored:" in result.output
    refused = tmp_path / "bad.yaml"
    refused.write_text(CRITERIA.replace("ITEMS", "Q01, sex"), encoding="utf-8")
    result = cli("import", "criteria-set", str(refused))
    assert result.exit_code == 1 and "unknown questionnaire item 'sex'" in result.output
    good = tmp_path / "cs.yaml"
    good.write_text(CRITERIA.replace("ITEMS", "Q01, Q02"), encoding="utf-8")
    assert cli("import", "criteria-set", str(good)).exit_code == 0
    with app.app_context():
        from survey_app.formats.units_csv import parse_units
        from survey_app.rounds.operations import create_round, open_round
        from survey_app.units.operations import import_units

        text = "code,kind,name_vi,name_en\nC01,cuc,Cục An toàn thông tin,Information Security\n"
        import_units(parse_units(text, "units.csv"))
        rnd = create_round("Khảo sát Kobo", ["PAR-KOBO-CUC"], "PAR-KOBO-2026")
        open_round(rnd)
        db.session.commit()
        tokens = invite(
            rnd.id,
            LIST_HEADER
            + "a@x.vn,A,official,C01,C01-official,D1\n"
            + "b@x.vn,B,official,C01,C01-official,D2\n",
        )
        return rnd.id, tokens


def test_a_kobo_par_form_runs_end_to_end(cli, sqlite_app, tmp_path):
    from worker.loading import item_scales
    from worker.pipeline import aggregate_round

    round_id, (first, second) = _kobo_round(cli, sqlite_app, tmp_path)
    with sqlite_app.app_context():
        q = db.session.scalar(select(Questionnaire))
        kinds = {i.code: (i.kind, i.scale.code if i.scale else None) for i in q.items()}
        assert kinds["sex"] == ("choice", "sex") and kinds["age"] == ("integer", None)
        female = db.session.scalar(select(ScaleLevel).where(ScaleLevel.name == "female"))
        assert (female.value, female.score, female.is_missing) == (1, None, False)

    client = sqlite_app.test_client()
    client.get(f"/r/{first}")
    page = client.get("/respond").text
    assert "Cảm ơn Anh/Chị đã tham gia khảo sát." in page  # the note, on the first page
    client.post("/respond", data={"s": "0", "action": "next"})
    page = client.get("/respond").text
    assert re.search(
        r'<legend id="sex-legend"><span class="qnum">Câu \d+</span> Giới tính</legend>', page
    )
    assert 'inputmode="numeric"' in page and "Từ 18 đến 99." in page
    assert '<p class="hint muted" id="age-hint">Tính theo năm. Từ 18 đến 99.</p>' in page

    bad = client.post("/respond", data={"s": "1", "action": "next", "resp_group": "1", "age": "12"})
    assert bad.status_code == 200
    assert "Vui lòng nhập một số nguyên. Từ 18 đến 99." in bad.text
    assert 'aria-invalid="true"' in bad.text and 'value="12"' in bad.text
    ok = client.post(
        "/respond", data={"s": "1", "action": "next", "resp_group": "2", "sex": "1", "age": "45"}
    )
    assert ok.status_code == 303
    page = client.get("/respond").text
    assert 'type="checkbox" name="channels"' in page and 'type="date"' in page
    assert "Chọn tất cả các phương án phù hợp." in page
    wrong = client.post(
        "/respond",
        data={"s": "2", "action": "save", "Q01": "1", "Q02": "99", "visited": "31/02/2026",
              "wait_hours": "2,5"},
    )  # fmt: skip
    assert "Vui lòng nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy)." in wrong.text
    assert "Từ 0 đến 48." in wrong.text and 'inputmode="decimal"' in wrong.text
    page_three = {
        "s": "2", "Q01": "1", "Q02": "99", "channels": ["1", "3"], "visited": "28/11/2026",
        "wait_hours": "2,5", "comment": " Chờ quá lâu ",
    }  # fmt: skip
    saved = client.post("/respond", data={**page_three, "action": "save"})
    assert saved.status_code == 303
    with sqlite_app.app_context():
        draft = db.session.scalar(select(ResponseDraft.answers))
        assert draft == {
            "resp_group": 2, "sex": 1, "age": 45, "Q01": 1, "Q02": 99, "channels": [1, 3],
            "visited": "2026-11-28", "wait_hours": 2.5, "comment": "Chờ quá lâu",
        }  # fmt: skip
    page = client.get("/respond?s=2").text
    assert 'value="2026-11-28"' in page and "Chờ quá lâu</textarea>" in page
    assert 'id="channels-1" value="1" checked' in page
    submitted = client.post("/respond", data={**page_three, "action": "submit"})
    assert submitted.headers["Location"] == "/respond/done"

    other = sqlite_app.test_client()
    other.get(f"/r/{second}")
    other.post("/respond", data={"s": "1", "action": "next", "resp_group": "1", "sex": "2"})
    last_page = {"s": "2", "Q01": "5", "Q02": "4", "comment": "hidden"}
    review = other.post("/respond", data={**last_page, "action": "submit"})
    assert review.headers["Location"] == "/respond?s=2&review=1"  # age, channels … are empty
    assert "Gửi mà không trả lời các câu này" in other.get(review.headers["Location"]).text
    done = other.post("/respond", data={**last_page, "action": "submit_anyway"})
    assert done.headers["Location"] == "/respond/done"

    with sqlite_app.app_context():
        stored = sorted(db.session.scalars(select(Response.answers)), key=len)
        assert stored[0] == {"resp_group": 1, "sex": 2, "Q01": 5, "Q02": 4}  # comment: Q01 > 2
        assert stored[1]["channels"] == [1, 3] and stored[1]["wait_hours"] == 2.5
        from survey_app.rounds.models import Round

        rnd = db.session.get(Round, round_id)
        assert set(item_scales(rnd)) == {"Q01", "Q02"}
        run = aggregate_round(round_id)
        assert run.state == "done"
        _check_exports(rnd, tmp_path)


def _check_exports(rnd, tmp_path):
    from survey_app.results.exports.microdata import load_microdata
    from survey_app.results.exports.microdata_files import microdata_bytes

    data = load_microdata(rnd, "vi")
    frame = data.frame.sort_values("Q01").reset_index(drop=True)
    assert list(frame["sex"]) == [1, 2] and list(frame["age"].astype(object)) == [45, pd_na()]
    assert frame["channels"][0] == "office post" and frame["channels"].isna()[1]
    assert list(frame["channels_post"].astype(object)) == [1, pd_na()]
    assert data.value_labels["sex"] == {1: "Nữ", 2: "Nam"}
    assert data.variable_labels["channels_office"] == (
        "Anh/Chị nộp hồ sơ qua đâu?: Tại bộ phận một cửa"
    )
    assert "intro" not in frame.columns and not [c for c in frame.columns if c.startswith("attr_")]
    csv_text = microdata_bytes(data, "csv").decode("utf-8-sig")
    assert "2026-11-28" in csv_text and "Chờ quá lâu" in csv_text
    for fmt in ("sav", "dta"):
        path = tmp_path / f"m.{fmt}"
        path.write_bytes(microdata_bytes(data, fmt))
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        got, meta = read(str(path))
        assert meta.variable_value_labels["sex"] == {1: "Nữ", 2: "Nam"}
        assert meta.variable_value_labels["Q01"][99] == "Không biết"
        assert sorted(got["comment"]) == ["", "Chờ quá lâu"]
        assert sorted(got["wait_hours"].fillna(-1)) == [-1, 2.5]


def pd_na():
    import pandas as pd

    return pd.NA


def test_the_web_upload_says_what_is_scored_and_what_was_dropped(sqlite_app, tmp_path):
    from survey_app.accounts.operations import create_user

    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    client = sqlite_app.test_client()
    client.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    body = kobo_form(tmp_path / "kobo.xlsx").read_bytes()
    response = client.post(
        "/admin/questionnaires/upload",
        data={"file": (io.BytesIO(body), "kobo.xlsx")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Các câu hỏi được chấm điểm (tính vào chỉ số): Q01, Q02." in response.text
    assert "sex (choice)" in response.text
    assert "đã bỏ siêu dữ liệu &#39;deviceid&#39;" in response.text
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 10
    # Its detail page and its preview show every kind, as the respondent will see it.
    assert "không tính điểm (câu hỏi phân loại)" in response.text
    preview = client.get(response.request.path + "/preview", follow_redirects=True)
    assert preview.status_code == 200
    assert "Xem trước" in preview.text and "Trang 1 / 3" in preview.text
    base = re.search(r'href="([^"]*/preview/[^/"]+/)2"', preview.text).group(1)
    pages = preview.text + "".join(client.get(f"{base}{n}").text for n in (2, 3))
    for control in ('type="radio"', 'type="checkbox"', 'inputmode="numeric"', "<textarea"):
        assert control in pages, control


ONE_PAGE = [
    ["type", "name", "label::Tiếng Việt (vi)", "label::English (en)", "constraint"],
    ["select_one satis", "Q01", "Hài lòng?", "Satisfied?", ""],
    ["select_one sex", "sex", "Giới tính", "Sex", ""],
    ["select_multiple sex", "both", "Cả hai", "Both", ""],
    ["integer", "age", "Tuổi", "Age", ". >= 18 and . <= 99"],
    ["decimal", "hours", "Giờ", "Hours", ""],
    ["date", "day", "Ngày", "Day", ""],
    ["text", "note_text", "Ý kiến", "Comment", ""],
]
ONE_PAGE_CHOICES = [
    ["list_name", "name", "label::Tiếng Việt (vi)", "label::English (en)"],
    *[["satis", n, f"Mức {n}", f"Level {n}"] for n in (1, 2, 3)],
    ["sex", "female", "Nữ", "Female"],
    ["sex", "male", "Nam", "Male"],
]


def test_every_kind_is_validated_and_stored_on_both_submit_paths(any_app, tmp_path):
    """PostgreSQL stores a one-page response without a draft in one statement, SQLite in
    its transaction: both refuse what the form refuses and store the same answers."""
    from survey_app.questionnaires.operations import import_questionnaire
    from survey_app.rounds.operations import create_round, open_round
    from tests.rounds.conftest import invite, load_examples

    path = workbook(tmp_path / "one.xlsx", ONE_PAGE, ONE_PAGE_CHOICES,
                    [["form_id", "groups"], ["ONE-PAGE", "official leader"]])  # fmt: skip
    with any_app.app_context():
        load_examples()
        import_questionnaire(_parse(path), "one.xlsx")
        rnd = create_round("Một trang", ["MIC-CUC-2018"], "ONE-PAGE")
        open_round(rnd)
        db.session.commit()
        tokens = invite(rnd.id, LIST_HEADER + "a@x.vn,A,official,C01,C01-official,D1\n")
    client = any_app.test_client()
    client.get(f"/r/{tokens[0]}")
    english = client.get("/respond?lang=en").text
    assert "Satisfied?" in english and "From 18 to 99." in english
    assert "Choose all that apply." in english and "For example 25/12/2026." in english
    good = {"s": "0", "action": "submit", "Q01": "3", "sex": "2", "both": ["1", "2"],
            "age": "30", "hours": "1.25", "day": "2026-12-01", "note_text": "Tốt"}  # fmt: skip
    for field, bad in (("age", "17"), ("age", "+30"), ("hours", "1e3"), ("day", "2026-13-01"),
                       ("both", ["1", "7"]), ("sex", "3"), ("note_text", "x" * 2001)):  # fmt: skip
        refused = client.post("/respond", data={**good, field: bad})
        assert refused.status_code == 200, field
        assert 'class="error-summary"' in refused.text, field
    with any_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert client.post("/respond", data=good).headers["Location"] == "/respond/done"
    with any_app.app_context():
        assert db.session.scalar(select(Response.answers)) == {
            "Q01": 3, "sex": 2, "both": [1, 2], "age": 30, "hours": 1.25,
            "day": "2026-12-01", "note_text": "Tốt",
        }  # fmt: skip


_TYPED = st.one_of(
    st.sampled_from(["", " ", "0", "17", "18", "99", "100", "+3", "-1", "1,5", "2.25", "1e3",
                     "٣", "2026-12-01", "31/12/2026", "2026-02-30", "1/1/1800", "x" * 2001,
                     "Tốt", "1", "2", "7"]),
    st.text(max_size=6),
)  # fmt: skip


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    required=st.lists(st.booleans(), min_size=6, max_size=6),
    posted=st.lists(st.lists(_TYPED, max_size=2), min_size=6, max_size=6),
)
def test_the_pre_check_and_the_form_agree_on_every_kind(sqlite_app, required, posted):
    """The fast path (``plainly_valid``) never vouches for a post the form refuses, and a
    typed answer the form accepts is one ``raw_answers`` keeps (none silently lost)."""
    from werkzeug.datastructures import MultiDict

    from survey_app.responses.forms import make_section_form, plainly_valid, raw_answers
    from survey_app.responses.structure import FormItem, Level

    levels = (Level(1, "Một", "One", False, "one"), Level(2, "Hai", "Two", False, "two"))
    kinds = ("choice", "multiple", "text", "integer", "decimal", "date")
    items = [
        FormItem(k, k, k, False, None, levels if k in ("choice", "multiple") else (),
                 frozenset({"g"}), k, *((18, 99) if k == "integer" else (None, None)))
        for k in kinds
    ]  # fmt: skip
    needed = frozenset(k for k, r in zip(kinds, required, strict=True) if r)
    formdata = MultiDict([(k, raw) for k, raws in zip(kinds, posted, strict=True) for raw in raws])
    with sqlite_app.test_request_context("/respond", method="POST"):
        raw = raw_answers(formdata, items)
        for lang in ("vi", "en"):
            form = make_section_form(items, lang, required=needed, formdata=formdata)
            valid = form.validate()
            if plainly_valid(formdata, items, needed, raw):
                assert valid, (dict(formdata.lists()), form.errors)
            if valid:
                for k in ("text", "integer", "decimal", "date"):
                    first = formdata.get(k, "")
                    assert (k in raw) is bool(first.strip()), (k, first)


def test_a_form_without_groups_is_asked_of_every_group_the_criteria_sets_weight(
    sqlite_app, tmp_path
):
    from survey_app.formats.problems import InvalidFile as Refused
    from survey_app.questionnaires.operations import import_questionnaire
    from survey_app.questionnaires.queries import list_respondent_groups
    from survey_app.rounds.operations import create_round, open_round
    from tests.rounds.conftest import invite, load_examples

    path = workbook(
        tmp_path / "yes_or_no_question.xlsx",
        [["type", "name", "label"], ["select_one yes_or_no", "good_day", "Good day today?"]],
        [["list name", "name", "label"], ["yes_or_no", "yes", "Yes"], ["yes_or_no", "no", "No"]],
    )
    with sqlite_app.app_context():
        load_examples()
        import_questionnaire(_parse(path), path.name)
        rnd = create_round("Không nhóm", ["MIC-CUC-2018"], "yes_or_no_question")
        open_round(rnd)
        db.session.commit()
        assert list_respondent_groups(rnd) == {"leader", "official"}
        with pytest.raises(Refused) as caught:
            invite(rnd.id, LIST_HEADER + "c@x.vn,C,citizen,C01,C01-citizen,D1\n")
        assert "unknown respondent group 'citizen'" in caught.value.report()
        (token,) = invite(rnd.id, LIST_HEADER + "a@x.vn,A,leader,C01,C01-leader,D1\n")
    client = sqlite_app.test_client()
    client.get(f"/r/{token}")
    assert "Good day today?" in client.get("/respond").text
    done = client.post("/respond", data={"s": "0", "action": "submit", "good_day": "1"})
    assert done.headers["Location"] == "/respond/done"


# -- a categorical answer as raking attribute and as respondent group -------------------

GROUP_CRITERIA = CRITERIA.replace("PAR-KOBO-CUC", "PAR-KOBO-GRP").replace(
    "group_weights: {official: 1.0}", "group_weights: {leader: 0.3, official: 0.3, citizen: 0.4}"
)


def _group_round(cli, app, tmp_path) -> int:
    from tests.rounds.xlsform_books import kobo_group_form

    result = cli("import", "questionnaire", kobo_group_form(tmp_path / "group.xlsx"))
    assert result.exit_code == 0, result.output
    sets = tmp_path / "cs.yaml"
    sets.write_text(GROUP_CRITERIA.replace("ITEMS", "Q01, Q02"), encoding="utf-8")
    assert cli("import", "criteria-set", str(sets)).exit_code == 0
    narrow = tmp_path / "narrow.yaml"  # weighs no citizens: the group answer cannot be used
    narrow.write_text(
        CRITERIA.replace("PAR-KOBO-CUC", "PAR-KOBO-OFF").replace("ITEMS", "Q01, Q02"),
        encoding="utf-8",
    )
    assert cli("import", "criteria-set", str(narrow)).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text("code,kind,name_vi,name_en\nC01,cuc,Cục Một,Dept One\n", encoding="utf-8")
    assert cli("import", "units", str(units)).exit_code == 0
    return 0


def _create(cli, tmp_path, margins_text: str, criteria: str = "PAR-KOBO-GRP"):
    margins = tmp_path / "margins.csv"
    margins.write_text(margins_text, encoding="utf-8")
    return cli(
        "rounds", "create", "--name", "Theo nhóm", "--criteria-set", criteria,
        "--questionnaire", "PAR-KOBO-GROUP", "--margins", str(margins),
    )  # fmt: skip


def test_margins_and_the_group_question_are_checked_against_the_form(cli, sqlite_app, tmp_path):
    _group_round(cli, sqlite_app, tmp_path)
    bad = _create(cli, tmp_path, "variable,level,count\nsex,F,60\nsex,male,40\nQ01,1,5\n")
    assert bad.exit_code == 1
    assert "population margins: 3 problem(s), nothing imported" in bad.output
    assert "variable Q01: 'Q01' is a scale question: only a categorical question" in bad.output
    assert (
        "variable sex: level 'F' is not a choice name of the question (choices: female, male)"
        in bad.output
    )
    assert "variable sex: no count for the choice 'female'" in bad.output
    wrong = _create(cli, tmp_path, "variable,level,count\nsex,female,6\nsex,male,x\n")
    assert wrong.exit_code == 1 and "row 3: count 'x' is not a number" in wrong.output
    margins = "variable,level,count\nsex,female,6\nsex,male,4\n"
    narrow = _create(cli, tmp_path, margins, "PAR-KOBO-OFF")
    assert narrow.exit_code == 1
    assert (
        "The answer to 'resp_group' is the respondent group, but its choices citizen, leader "
        "are not groups that the criteria sets weight (official)." in narrow.output
    )
    with sqlite_app.app_context():
        from survey_app.rounds.models import Round

        assert db.session.scalar(select(func.count()).select_from(Round)) == 0

    from tests.rounds.xlsform_books import kobo_group_form

    for args, reason in [
        ({"group_question": "age"}, "group_question 'age' must be a select_one with text names"),
        ({"group_question": "nope"}, "group_question 'nope' is not a question"),
        ({"sex_required": "false", "group_question": "sex"}, "required (every response"),
    ]:
        with pytest.raises(InvalidFile) as caught:
            _parse(kobo_group_form(tmp_path / "g.xlsx", **args))
        assert reason in caught.value.report()


def test_open_link_answers_give_the_group_and_the_raking_sex(cli, sqlite_app, tmp_path):
    """Open link → answers with group and sex → index raked on the answered sex; an
    invitation's group wins over the answer; a paper row brings its categorical code."""
    from survey_app.results.models import SubCriterionResult
    from survey_app.rounds.models import Round
    from tests.rounds.conftest import invite
    from worker.pipeline import aggregate_round

    _group_round(cli, sqlite_app, tmp_path)
    made = _create(cli, tmp_path, "variable,level,count\nsex,female,60\nsex,male,40\n")
    assert made.exit_code == 0, made.output
    round_id = int(made.output.strip())
    assert cli("rounds", "open", str(round_id)).exit_code == 0
    with sqlite_app.app_context():
        from survey_app.openlinks.operations import create_open_link

        rnd = db.session.get(Round, round_id)
        _, link = create_open_link(rnd, "C01", "citizen", stratum="C01", psu="open")
        db.session.commit()
        (token,) = invite(round_id, LIST_HEADER + "a@x.vn,A,official,C01,C01,D1\n")

    def answer(entry: str, group: int, sex: int, q01: int, q02: int | None = None):
        client = sqlite_app.test_client()
        assert client.get(entry).status_code == 200
        client.post("/respond", data={"s": "0", "action": "next"})
        page = client.post(
            "/respond",
            data={"s": "1", "action": "next", "resp_group": str(group), "sex": str(sex)},
        )
        assert page.status_code == 303, page.text
        shown = client.get("/respond").text
        assert ('name="Q02"' in shown) == (group != 1)  # leaders are not asked Q02
        data = {"s": "2", "action": "submit_anyway", "Q01": str(q01)}
        if q02 is not None:
            data["Q02"] = str(q02)
        done = client.post("/respond", data=data)
        assert done.headers["Location"] == "/respond/done", done.text

    answer(f"/o/{link}", group=3, sex=1, q01=5, q02=4)  # citizen, female
    answer(f"/o/{link}", group=1, sex=2, q01=1)  # leader, male
    answer(f"/o/{link}", group=3, sex=2, q01=3, q02=3)  # citizen, male
    answer(f"/r/{token}", group=3, sex=1, q01=4, q02=4)  # invited as an official, says citizen
    paper = tmp_path / "paper.csv"
    paper.write_text(
        "response_id,unit,group,stratum,psu,resp_group,sex,Q01,Q02\np1,C01,official,C01,P1,2,2,2,2\n",
        encoding="utf-8",
    )
    imported = cli("rounds", "import-responses", str(round_id), str(paper))
    assert imported.exit_code == 0, imported.output

    with sqlite_app.app_context():
        rows = db.session.execute(select(Response.channel, Response.group_code, Response.answers))
        got = sorted((ch, grp, a["sex"]) for ch, grp, a in rows)
        assert got == [
            ("import", "official", 2),
            ("online", "official", 1),  # the invitation's group, not the answer 'citizen'
            ("open_link", "citizen", 1),
            ("open_link", "citizen", 2),
            ("open_link", "leader", 2),
        ]
        run = aggregate_round(round_id)
        assert run.state == "done", run.error
        raking = run.methodology["raking"]
        assert raking["variables"] == ["sex"] == raking["from_answers"] and raking["converged"]
        weight = {(stratum, tuple(levels)): (n, w) for stratum, levels, n, w in raking["cells"]}
        # no frame: base weight 1; 2 women stand for 60, 3 men for 40
        assert weight[("C01", ("female",))] == (2, pytest.approx(30.0))
        assert weight[("C01", ("male",))][0] == 3
        assert weight[("C01", ("male",))][1] == pytest.approx(40 / 3)
        assert "raked to the round's margins (sex)" in run.methodology["weights"]
        row = db.session.scalar(
            select(SubCriterionResult).where(SubCriterionResult.run_id == run.id)
        )
        groups = row.data["groups"]
        assert {k: groups[k]["n"] for k in groups} == {"citizen": 2, "leader": 1, "official": 2}
        # "satis" scores 1..5 evenly from 0 to 1; a respondent's score is the mean of Q01, Q02.
        # Officials: the invited woman 4, 4 (weight 30), the paper man 2, 2 (weight 40/3);
        # unraked, their mean would be 0.5.
        male = 40 / 3
        assert groups["official"]["mean"] == pytest.approx((30 * 0.75 + male * 0.25) / (30 + male))
        assert groups["citizen"]["mean"] == pytest.approx((30 * 0.875 + male * 0.5) / (30 + male))


def test_the_web_round_form_takes_margins_and_says_why_a_group_question_does_not_fit(
    cli, sqlite_app, tmp_path
):
    from survey_app.accounts.operations import create_user
    from survey_app.rounds.models import PopulationMargin, Round

    _group_round(cli, sqlite_app, tmp_path)
    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    admin = sqlite_app.test_client()
    admin.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    assert "Tổng thể theo biên (để hiệu chỉnh trọng số)" in admin.get("/admin/rounds/new").text

    def post(criteria: str, margins: str):
        return admin.post(
            "/admin/rounds/new",
            data={
                "name": "Theo nhóm",
                "criteria_sets": [criteria],
                "questionnaire": "PAR-KOBO-GROUP",
                "margins": (io.BytesIO(margins.encode()), "margins.csv"),
            },
            content_type="multipart/form-data",
        )

    good = "variable,level,count\nsex,female,60\nsex,male,40\n"
    narrow = post("PAR-KOBO-OFF", good)
    assert narrow.status_code == 400
    assert (
        "Câu trả lời cho &#39;resp_group&#39; là nhóm người trả lời, nhưng các lựa chọn "
        "citizen, leader không phải là nhóm được bộ tiêu chí gán trọng số (official)."
    ) in narrow.text
    bad = post("PAR-KOBO-GRP", "variable,level,count\nsex,F,60\nsex,male,40\n")
    assert bad.status_code == 400
    assert "level &#39;F&#39; is not a choice name of the question" in bad.text
    assert 'value="Theo nhóm"' in bad.text
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0
    created = post("PAR-KOBO-GRP", good)
    assert created.status_code == 303, created.text
    with sqlite_app.app_context():
        margins = db.session.execute(select(PopulationMargin.level, PopulationMargin.count))
        assert sorted(margins) == [("female", 60.0), ("male", 40.0)]


def test_paper_answers_rake_on_both_databases_and_a_missing_sex_fails_the_run(any_app, tmp_path):
    """Paper rows carry the categorical code; the run reads it (PostgreSQL: COPY and a
    GROUP BY on the JSON answer) and, as parindex estimate --rake does, refuses a respondent
    without it."""
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.formats.responses_csv import parse_responses
    from survey_app.formats.units_csv import parse_units
    from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
    from survey_app.responses.operations import import_responses, questionnaire_rules
    from survey_app.rounds.operations import create_round, open_round
    from survey_app.units.operations import import_units
    from tests.rounds.xlsform_books import kobo_group_form
    from worker.pipeline import aggregate_round

    header = "response_id,unit,group,stratum,psu,resp_group,sex,Q01,Q02\n"
    with any_app.app_context():
        import_questionnaire(_parse(kobo_group_form(tmp_path / "g.xlsx")), "g.xlsx")
        text = GROUP_CRITERIA.replace("ITEMS", "Q01, Q02")
        import_criteria_set(parse_criteria_set(text, "cs.yaml", known_item_codes()), "cs.yaml")
        import_units(parse_units("code,kind,name_vi,name_en\nC01,cuc,Một,One\n", "u.csv"))
        margins = {"sex": {"female": 50.0, "male": 50.0}}
        rnd = create_round("Giấy", ["PAR-KOBO-GRP"], "PAR-KOBO-GROUP", margins=margins)
        open_round(rnd)
        rows = "".join(f"p{i},C01,official,S,P{i},2,{sex},{q},{q}\n" for i, sex, q in
                       [(1, 1, 5), (2, 2, 1), (3, 2, 1)])  # fmt: skip
        import_responses(rnd, parse_responses(header + rows, "p.csv", questionnaire_rules(rnd)))
        db.session.commit()
        run = aggregate_round(rnd.id)
        assert run.state == "done", run.error
        weights = {tuple(c[1]): c[3] for c in run.methodology["raking"]["cells"]}
        assert weights == {("female",): pytest.approx(50.0), ("male",): pytest.approx(25.0)}

        blank = "p4,C01,official,S,P4,2,,3,3\n"
        import_responses(rnd, parse_responses(header + blank, "p.csv", questionnaire_rules(rnd)))
        db.session.commit()
        failed = aggregate_round(rnd.id)
        assert failed.state == "failed"
        assert "1 response(s) have no sex: a raking variable must be known" in failed.error
