"""The introduction a respondent reads above the first question (issue 14), as the
questionnaire YAML (``intro:``) and the XLSForm settings sheet carry it, and as imported."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.formats.questionnaire_yaml import IntroSpec, parse_questionnaire
from survey_app.formats.xlsform import parse_xlsform
from survey_app.questionnaires.models import Questionnaire
from tests.conftest import EXAMPLES
from tests.rounds.xlsform_books import KOBO_CHOICES, KOBO_SURVEY, kobo_form, workbook


def _yaml(intro: str) -> str:
    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    return text.replace("sections:\n", intro + "sections:\n", 1)


def test_yaml_intro_fields_are_read_in_both_languages():
    spec = parse_questionnaire(
        _yaml(
            "intro:\n"
            "  purpose: {vi: Đo mức hài lòng, en: Measure satisfaction}\n"
            "  organisation: {vi: Vụ Pháp chế}\n"
            "  minutes: 10\n"
            "  contact: phapche@mic.gov.vn\n"
        ),
        "q.yaml",
    )
    assert spec.intro == IntroSpec(
        purpose_vi="Đo mức hài lòng",
        purpose_en="Measure satisfaction",
        organisation_vi="Vụ Pháp chế",
        organisation_en="Vụ Pháp chế",  # one language stands in for the other
        contact_vi="phapche@mic.gov.vn",
        contact_en="phapche@mic.gov.vn",
        minutes=10,
    )
    assert spec.intro.text("anonymity", "vi") == ""  # the page's default is shown


def test_a_questionnaire_without_intro_has_an_empty_one():
    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    assert parse_questionnaire(text, "q.yaml").intro == IntroSpec()


def test_bad_intro_fields_are_all_reported_and_nothing_is_read():
    with pytest.raises(InvalidFile) as failed:
        parse_questionnaire(
            _yaml("intro:\n  purpose: [a, b]\n  minutes: ten\n  duration: 5\n"), "q.yaml"
        )
    report = failed.value.report()
    assert "intro purpose must be a text or a mapping" in report
    assert "intro minutes must be a whole number, got 'ten'" in report
    assert "unknown intro field(s): duration" in report


def test_xlsform_settings_carry_the_intro_with_label_style_language_suffixes(tmp_path):
    settings = [
        [
            "form_id",
            "form_title",
            "groups",
            "purpose::Tiếng Việt (vi)",
            "purpose::English (en)",
            "Organization",
            "minutes",
            "contact",
            "anonymity::Vietnamese",
        ],
        [
            "PAR-INTRO",
            "Khảo sát",
            "official",
            "Đo mức hài lòng",
            "Measure satisfaction",
            "Bộ Tư pháp",
            12,
            "024 1234 5678",
            "Không ai biết Quý vị trả lời gì.",
        ],
    ]
    path = workbook(tmp_path / "intro.xlsx", KOBO_SURVEY, KOBO_CHOICES, settings)
    intro = parse_xlsform(path.read_bytes(), path.name).intro
    assert (intro.purpose_vi, intro.purpose_en) == ("Đo mức hài lòng", "Measure satisfaction")
    assert intro.organisation_vi == intro.organisation_en == "Bộ Tư pháp"
    assert intro.minutes == 12 and intro.contact_en == "024 1234 5678"
    assert intro.anonymity_vi == intro.anonymity_en == "Không ai biết Quý vị trả lời gì."


def test_xlsform_minutes_must_be_a_whole_number(tmp_path):
    settings = [["form_id", "groups", "minutes"], ["PAR-INTRO", "official", "about ten"]]
    path = workbook(tmp_path / "intro.xlsx", KOBO_SURVEY, KOBO_CHOICES, settings)
    with pytest.raises(InvalidFile) as failed:
        parse_xlsform(path.read_bytes(), path.name)
    assert "minutes must be a whole number from 1 to 600, got 'about ten'" in failed.value.report()


def test_an_xlsform_without_intro_columns_has_an_empty_intro(tmp_path):
    path = kobo_form(tmp_path / "kobo.xlsx")
    assert parse_xlsform(path.read_bytes(), path.name).intro == IntroSpec()


def test_the_intro_is_stored_with_the_questionnaire(sqlite_app):
    from survey_app.questionnaires.operations import import_questionnaire

    spec = parse_questionnaire(_yaml("intro:\n  minutes: 7\n  contact: An, 0912\n"), "q.yaml")
    with sqlite_app.app_context():
        import_questionnaire(spec, "q.yaml")
        db.session.commit()
        q = db.session.scalar(select(Questionnaire))
        assert (q.minutes, q.contact_vi, q.contact_en) == (7, "An, 0912", "An, 0912")
        assert q.purpose_vi is None and q.anonymity_en is None
