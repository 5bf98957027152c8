"""The gettext catalogue is complete: every message in the code and the templates has a
Vietnamese translation, none is fuzzy, and the JSON converter is safe to run again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import wtforms
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from survey_app.i18n import TRANSLATIONS_DIR, gettext, json_to_po
from survey_app.i18n.extract import KEYWORDS as EXTRA_KEYWORDS
from survey_app.i18n.json_to_po import read_catalog

ROOT = Path(__file__).resolve().parents[2]
#: Babel's keywords plus ours (problems, notices, columns, field labels), as `make messages`.
KEYWORDS = DEFAULT_KEYWORDS | EXTRA_KEYWORDS


def extracted() -> dict[tuple[str | None, str], list[str]]:
    """(context, msgid) → where, read with babel.cfg exactly as `pybabel extract` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def messages():
    return extracted()


@pytest.fixture(scope="module")
def vi():
    return read_catalog(TRANSLATIONS_DIR / "vi" / "LC_MESSAGES" / "messages.po")


def test_extraction_finds_templates_python_and_contexts(messages):
    assert (None, "Sign in") in messages
    assert any(w.endswith(".html:" + w.rsplit(":", 1)[1]) for w in messages[(None, "Sign in")])
    assert ("assessment state", "final") in messages
    assert len(messages) > 500


def test_every_message_has_a_vietnamese_translation(messages, vi):
    missing = [
        f"{msgid!r} ({', '.join(where[:2])})"
        for (context, msgid), where in sorted(messages.items(), key=lambda kv: kv[0][1])
        if not ((m := vi.get(msgid, context=context)) and m.string)
    ]
    assert not missing, f"{len(missing)} message(s) lack Vietnamese:\n" + "\n".join(missing)


def test_every_wtforms_message_has_a_vietnamese_translation(vi):
    """Form errors come from WTForms' own messages too (FormTranslations reads ours)."""
    folder = Path(wtforms.__file__).parent
    missing = sorted(
        {
            msgid
            for _f, _l, message, _c, _ctx in extract_from_dir(folder, [("**.py", "python")])
            for msgid in (message if isinstance(message, tuple) else (message,))
            if msgid and not ((m := vi.get(msgid)) and m.string)
        }
    )
    assert not missing, "WTForms messages without Vietnamese:\n" + "\n".join(missing)


def test_a_form_error_is_in_the_readers_language():
    from wtforms import Form, IntegerField, StringField
    from wtforms.validators import Length, NumberRange

    from survey_app.i18n import FormTranslations

    class Points(Form):
        points = IntegerField(validators=[NumberRange(min=0, max=5)])

        class Meta:
            def get_translations(self, form):
                return FormTranslations(self.lang)

    class Name(Form):
        name = StringField(validators=[Length(max=255)])

        class Meta:
            def get_translations(self, form):
                return FormTranslations(self.lang)

    form = Name(data={"name": "x" * 256}, meta={"lang": "vi"})
    assert not form.validate() and form.name.errors == ["Không được dài quá 255 ký tự."]
    for lang, expected in (
        ("vi", "Số phải nằm trong khoảng 0 đến 5."),
        ("en", "Number must be between 0 and 5."),
    ):
        form = Points(data={"points": 9}, meta={"lang": lang})
        assert not form.validate()
        assert form.points.errors == [expected]


def test_no_translation_is_fuzzy_and_babel_checks_pass(vi):
    fuzzy = [m.id for m in vi if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries (review, then remove the flag): {fuzzy}"
    errors = [f"{m.id!r}: {errs}" for m, errs in vi.check()]
    assert not errors, "\n".join(errors)


def test_lookups_use_the_compiled_catalogue():
    assert gettext("Sign in", "vi") == "Đăng nhập"
    assert gettext("Sign in", "en") == "Sign in"


def _write(folder: Path, name: str, pairs: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(pairs, ensure_ascii=False), encoding="utf-8")


def test_converter_folds_json_into_the_po_and_deletes_it_then_does_nothing(tmp_path, capsys):
    po, src = tmp_path / "messages.po", tmp_path / "vi"
    _write(src, "a.json", {"Save": "Lưu", "Unit": "Đơn vị"})
    _write(src, "b.json", {"Save": "Lưu", "Round": "Đợt khảo sát"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 0
    assert not list(src.glob("*.json"))
    catalog = read_catalog(po)
    assert {m.id: m.string for m in catalog if m.id} == {
        "Save": "Lưu",
        "Unit": "Đơn vị",
        "Round": "Đợt khảo sát",
    }
    before = po.read_bytes()
    assert json_to_po.main([], json_dir=src, po_path=po) == 0
    _write(src, "c.json", {"Save": "Lưu"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 0
    assert not (src / "c.json").exists()
    assert len(read_catalog(po)) == 3 and read_catalog(po).get("Save").string == "Lưu"
    assert po.read_bytes() == before


def test_converter_refuses_a_different_translation_and_changes_nothing(tmp_path, capsys):
    po, src = tmp_path / "messages.po", tmp_path / "vi"
    _write(src, "a.json", {"final": "chính thức"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 0
    before = po.read_bytes()
    _write(src, "b.json", {"final": "đã kết luận", "New": "Mới"})
    _write(src, "c.json", {"Unit": "Đơn vị"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 1
    err = capsys.readouterr().err
    assert "'final'" in err and "b.json" in err and "đã kết luận" in err and "chính thức" in err
    assert po.read_bytes() == before
    assert sorted(p.name for p in src.glob("*.json")) == ["b.json", "c.json"]


def test_converter_refuses_what_pybabel_compile_would_reject(tmp_path, capsys):
    po, src = tmp_path / "messages.po", tmp_path / "vi"
    _write(src, "a.json", {"95% rank interval": "Khoảng thứ hạng 95%"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 1
    assert "95% rank interval" in capsys.readouterr().err
    assert not po.exists()


def test_converter_refuses_two_json_files_that_disagree(tmp_path, capsys):
    po, src = tmp_path / "messages.po", tmp_path / "vi"
    _write(src, "a.json", {"Appraised": "Thẩm định"})
    _write(src, "b.json", {"Appraised": "Điểm thẩm định"})
    assert json_to_po.main([], json_dir=src, po_path=po) == 1
    assert "a.json" in capsys.readouterr().err
    assert not po.exists()


def test_a_file_problem_is_english_for_the_cli_and_translated_for_the_page():
    from survey_app.formats.problems import InvalidFile, Notice, Problem

    problem = Problem("row 3", "unit '{unit}' is not in this round", unit="C99")
    assert str(problem) == "row 3: unit 'C99' is not in this round"
    assert problem.text("vi") == "dòng 3: đơn vị 'C99' không thuộc đợt khảo sát này"
    assert problem.text("en") == str(problem)
    exc = InvalidFile("units.csv", [problem] * 3)
    assert str(exc) == "units.csv: 3 problem(s), nothing imported"
    assert exc.summary("vi") == "units.csv: có 3 lỗi, chưa nhập dữ liệu nào"
    notice = Notice([f"survey row {n}" for n in range(2, 10)], "this column is ignored")
    assert notice.startswith("survey row 2, ") and notice.endswith(
        " and 2 more: this column is ignored"
    )
    assert notice.text("vi").startswith("trang tính survey, dòng 2, ")
    assert notice.text("vi").endswith(" và 2 vị trí khác: cột này được bỏ qua")


@pytest.mark.parametrize("lang,title", [("vi", "Không tìm thấy trang"), ("en", "Page not found")])
def test_the_404_page_is_in_the_requests_language(sqlite_app, lang, title):
    page = sqlite_app.test_client().get(f"/no-such-page?lang={lang}")
    assert page.status_code == 404
    assert f"<h1>{title}</h1>" in page.text and f'<html lang="{lang}">' in page.text
