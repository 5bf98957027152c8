"""Hostile text in every field and file that takes text: stored as given (or refused with
a clear message, status 400), and inert in every page, e-mail and export.

Inputs tried (``HOSTILE``), each in question text (YAML upload), the round name, a
respondent's name (respondent list upload), self-assessment notes, an evidence file name
and both sign-in fields; and separately in unit names (units CSV), XLSForm labels, and
answers (``test_property.py``):

=========  ==========================================================  =====================
name       input                                                       outcome
=========  ==========================================================  =====================
script     ``<script>alert("xss")</script>``                           stored; escaped
handler    ``"><img src=x onerror=alert(1)>``                          stored; escaped
js_url     ``javascript:alert(document.cookie)``                       stored; never a URL
sql        ``Robert'); DROP TABLE responses;-- " OR 1=1 --``           stored (bound params)
rtl        ``invoice\\u202egpj.exe`` (RIGHT-TO-LEFT OVERRIDE)            stored; file names
                                                                       lose format chars
ssti       ``{{ 7*7 }} ${7*7} {% raw %}``                              stored; not evaluated
formula    ``=HYPERLINK("http://evil.example","x")``                   stored; exports quote
                                                                       it (``'=``)
crlf       ``Name\\r\\nBcc: victim@example.com``                         stored; no mail header
long       ``"Đ" * 100_000`` (200 kB of UTF-8)                         refused (400) where
                                                                       the column is short;
                                                                       stored in notes
nul        ``a\\x00b``                                                  refused (400), nothing
                                                                       stored
=========  ==========================================================  =====================
"""

from __future__ import annotations

import csv
import email
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.hardening.conftest import build_site, fingerprint, inline_code, visit_all

HOSTILE = {
    "script": '<script>alert("xss")</script>',
    "handler": '"><img src=x onerror=alert(1)>',
    "js_url": "javascript:alert(document.cookie)",
    "sql": "Robert'); DROP TABLE responses;-- \" OR 1=1 --",
    "rtl": "invoice\u202egpj.exe",
    "ssti": "{{ 7*7 }} ${7*7} {% raw %}",
    "formula": '=HYPERLINK("http://evil.example","x")',
    "crlf": "Name\r\nBcc: victim@example.com",
    "long": "Đ" * 100_000,
    "nul": "a\x00b",
}
#: The steps of ``build_site`` that take the text, and their status when it is accepted.
ACCEPTED = {"questionnaire": 303, "round": 303, "respondents": 200, "notes": 302, "evidence": 302}
STEPS = tuple(ACCEPTED)


def _stored(app) -> dict[str, list[str]]:
    from survey_app.assessments.models import Evidence, SelfAssessment
    from survey_app.extensions import db
    from survey_app.invitations.models import Invitation
    from survey_app.questionnaires.models import Item, Questionnaire
    from survey_app.rounds.models import Round

    with app.app_context():
        return {
            "questionnaire": list(
                db.session.scalars(select(Item.text_en).join(Item.questionnaire).where(
                    Questionnaire.code == "HOSTILE-1", Item.code == "Q01"
                ))
            ),
            "round": list(db.session.scalars(select(Round.name))),
            "respondents": list(db.session.scalars(select(Invitation.name))),
            "notes": list(db.session.scalars(select(SelfAssessment.note))),
            "evidence": list(db.session.scalars(select(Evidence.original_name))),
        }  # fmt: skip


#: Kinds the two databases store differently (bound parameters, column lengths, NUL
#: bytes) are tried on both; the others change only what pages show, which does not
#: depend on the database, and are tried on the embedded default.
ON_BOTH_DATABASES = ("sql", "long", "nul")
STORE_CASES = [("sqlite", kind) for kind in HOSTILE] + [("pg", k) for k in ON_BOTH_DATABASES]


@pytest.mark.parametrize(("store", "kind"), STORE_CASES)
def test_hostile_text_is_stored_as_given_or_refused_and_inert_in_every_page(request, store, kind):
    text = HOSTILE[kind]
    site = build_site(request.getfixturevalue(f"{store}_app"), text)
    assert all(site.statuses[s] in (ACCEPTED[s], 400) for s in STEPS), site.statuses
    stored = _stored(site.app)
    for step in STEPS:
        accepted = site.statuses[step] == ACCEPTED[step]
        expected = text[:150] + ".png" if step == "evidence" else text
        if step == "evidence" and kind in ("rtl", "crlf"):  # format/control chars dropped
            expected = "".join(c for c in expected if c not in "\u202e\r\n")
        assert (expected in stored[step]) is accepted, (step, site.statuses[step])
    if kind == "nul":
        assert {site.statuses[s] for s in STEPS} == {400}
    if kind == "long":  # too long for every column it was put in (notes: 4,000)
        assert {site.statuses[s] for s in STEPS if s != "evidence"} == {400}
        assert site.statuses["evidence"] == 302  # the name was shortened to 150 characters
    for endpoint, response in visit_all(site).items():
        assert response.status_code < 500, endpoint
        if response.mimetype != "text/html":
            continue
        page = response.text
        assert inline_code(page) == [], endpoint
        if any(c in text for c in "<>\"'"):
            assert text not in page, endpoint  # only its escaped form


@pytest.mark.parametrize("kind", ["script", "handler", "formula", "sql", "ssti"])
def test_hostile_text_shows_escaped_where_it_is_shown(sqlite_app, kind):
    from markupsafe import escape

    text = HOSTILE[kind]
    site = build_site(sqlite_app, text)
    shown = str(escape(text))
    respondent = sqlite_app.test_client()
    respondent.get(f"/r/{site.ids['tokens'][0]}")
    assert shown in respondent.get("/respond?lang=en").text  # the question text
    admin = site.client("admin")
    assert shown in admin.get(f"/admin/rounds/{site.ids['round_id']}").text  # the round name
    assert shown in site.client("focal").get(site.world.sheet_url()).text  # notes


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_sign_in_fields_are_refused_without_error_or_echo(any_app, kind):
    from survey_app.accounts.operations import create_user
    from survey_app.extensions import db

    with any_app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    before = fingerprint(any_app)
    client = any_app.test_client()
    for data in (
        {"email": HOSTILE[kind], "password": HOSTILE[kind]},
        {"email": "admin@x.vn", "password": HOSTILE[kind]},
    ):
        response = client.post("/login", data=data)
        assert response.status_code in (200, 400, 401), response.status_code
        assert inline_code(response.text) == []
        if any(c in HOSTILE[kind] for c in "<>\"'"):
            assert HOSTILE[kind] not in response.text
    after = fingerprint(any_app)
    changed = {t for t in after if after[t] != before[t]}
    assert changed <= {"users"}  # at most the failure count of the real account


@pytest.mark.parametrize("kind", ["formula", "crlf", "script"])
def test_exports_write_hostile_text_as_inert_cells(sqlite_app, kind):
    text = HOSTILE[kind]
    site = build_site(sqlite_app, text)
    admin = site.client("admin")
    round_id = site.world.round_id
    exported = admin.get(f"/assessments/rounds/{round_id}/export.csv").text
    notes = [r["note"] for r in csv.DictReader(io.StringIO(exported)) if r.get("note")]
    book = load_workbook(io.BytesIO(admin.get(f"/assessments/rounds/{round_id}/export.xlsx").data))
    cells = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    audit = admin.get(f"/assessments/rounds/{round_id}/units/{site.ids['unit_id']}/audit.csv")
    links = admin.post(f"/admin/rounds/{site.ids['round_id']}/links.csv").text
    expected = "'" + text if kind == "formula" else text
    assert notes and set(notes) == {expected}
    flat = text.replace("\r", "")  # XLSX keeps line breaks as LF
    assert flat in [c.replace("\r", "") for c in cells]  # a text cell, never a formula
    typed = [c.data_type for row in book.active.iter_rows() for c in row if c.value == text]
    assert set(typed) <= {"s"}
    for body in (audit.text, links):
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert not any(cell.startswith("=") for cell in cells)
    if kind == "formula":
        assert "'" + text.replace('"', '""') in links or "'" + text in links


HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


@pytest.mark.parametrize("kind", ["crlf", "script", "rtl", "formula"])
def test_invitation_mail_carries_hostile_names_as_plain_text_without_new_headers(sqlite_app, kind):
    from survey_app.core import jobs
    from survey_app.extensions import db
    from tests.rounds.test_mail import _run_jobs

    text = HOSTILE[kind]
    site = build_site(sqlite_app, text)
    with sqlite_app.app_context():
        jobs.enqueue(jobs.SEND_INVITATIONS, {"round_id": site.ids["round_id"]})
        db.session.commit()
    _run_jobs(sqlite_app)
    mailbox = Path(sqlite_app.config["MAIL_MAILBOX"])
    messages = [email.message_from_bytes(p.read_bytes()) for p in mailbox.glob("*.eml")]
    assert len(messages) == 2
    for msg in messages:
        assert msg.get_content_type() == "text/plain"  # nothing in it is ever markup
        assert set(msg.keys()) == HEADERS and "victim" not in str(msg["To"])
    bodies = [m.get_payload(decode=True).decode() for m in messages]
    assert any(text.replace("\r\n", "\n") in b.replace("\r\n", "\n") for b in bodies)


@pytest.mark.parametrize("kind", [k for k in HOSTILE if k != "nul"])
def test_unit_names_from_a_units_file_are_stored_as_given_or_refused(sqlite_app, kind):
    from survey_app.extensions import db
    from survey_app.formats.problems import InvalidFile
    from survey_app.formats.units_csv import parse_units
    from survey_app.units.models import Unit
    from survey_app.units.operations import import_units

    text = HOSTILE[kind]
    cell = '"' + text.replace('"', '""') + '"'
    with sqlite_app.app_context():
        try:
            import_units(parse_units(f"code,kind,name_vi,name_en\nX1,cuc,{cell},{cell}\n", "u.csv"))
            db.session.commit()
        except InvalidFile as exc:
            db.session.rollback()
            # refused by the cell limit of every CSV (formats/limits.py), or the column's
            assert kind == "long" and re.search(r"at most (255|10000)$", str(exc.problems[0]))
            return
        unit = db.session.scalar(select(Unit).where(Unit.code == "X1"))
        assert (unit.name_vi, unit.name_en) == (text, text)


def test_a_nul_in_a_units_file_is_refused_with_its_row(sqlite_app):
    from survey_app.formats.problems import InvalidFile
    from survey_app.formats.units_csv import parse_units

    with pytest.raises(InvalidFile) as exc:
        parse_units("code,kind,name_vi,name_en\nX1,cuc,a\x00b,c\n", "u.csv")
    assert "NUL" in str(exc.value.problems) and "row 2" in str(exc.value.problems)


@pytest.mark.parametrize("kind", ["script", "handler", "rtl", "long", "sql"])
def test_xlsform_labels_are_stored_as_given_or_refused(sqlite_app, kind):
    from survey_app.accounts.operations import create_user
    from survey_app.extensions import db
    from survey_app.questionnaires.models import Item

    text = HOSTILE[kind]
    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    admin = sqlite_app.test_client()
    admin.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    book = Workbook()
    book.active.title = "survey"
    book.active.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)"])
    book.active.append(["select_one q4", "Q01", text, text])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Vietnamese (vi)", "label::English (en)"])
    choices.append(["q4", "1", text[:200], "Poor"])
    choices.append(["q4", "2", "Tốt", "Good"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "form_title"])
    settings.append(["XLS-HOSTILE", text[:400]])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    response = admin.post("/admin/questionnaires/upload", data={"file": (data, "f.xlsx")})
    assert response.status_code in (303, 400), response.status_code
    assert inline_code(response.text) == []
    with sqlite_app.app_context():
        stored = db.session.scalar(select(Item.text_en).where(Item.code == "Q01"))
    assert (stored == text) is (response.status_code == 303)
    if kind == "long":
        assert response.status_code == 400
