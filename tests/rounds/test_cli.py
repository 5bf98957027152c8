"""``parindex rounds …`` end to end on the embedded database."""

from __future__ import annotations

import csv
import json
import os

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from tests.conftest import EXAMPLES


@pytest.fixture
def examples(cli):
    for args in (
        ("import", "questionnaire", EXAMPLES / "questionnaire.yaml"),
        ("import", "criteria-set", EXAMPLES / "criteria_set_cuc.yaml"),
        ("import", "criteria-set", EXAMPLES / "criteria_set_vu.yaml"),
        ("import", "units", EXAMPLES / "units.csv"),
    ):
        assert cli(*args).exit_code == 0
    return cli


def _create(cli, *extra) -> int:
    result = cli(
        "rounds",
        "create",
        "--name",
        "CCHC 2018",
        "--criteria-set",
        "MIC-CUC-2018",
        "--criteria-set",
        "MIC-VU-2018",
        "--questionnaire",
        "MIC-XHH-2018",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return int(result.output.strip())


def test_create_prints_the_id_and_opens_once_the_opening_time_has_passed(examples, sqlite_app):
    past = _create(
        examples, "--opens", "2020-01-01T00:00:00+07:00", "--frame", EXAMPLES / "frame.csv"
    )
    future = _create(examples, "--opens", "2999-01-01T00:00:00")
    with sqlite_app.app_context():
        assert db.session.get(Round, past).state == "open"
        assert len(db.session.get(Round, past).frame) == 42
        assert db.session.get(Round, future).state == "draft"
    assert examples("rounds", "open", future).exit_code == 0
    assert examples("rounds", "close", future).exit_code == 0
    again = examples("rounds", "close", future)
    assert again.exit_code == 1 and "only an open round can be closed" in again.output


def test_invite_writes_links_and_progress_counts_them(examples, sqlite_app, tmp_path):
    rid = _create(examples, "--opens", "2020-01-01T00:00:00Z", "--frame", EXAMPLES / "frame.csv")
    out = tmp_path / "links.csv"
    result = examples("rounds", "invite", rid, EXAMPLES / "respondents.csv", "--links", out)
    assert result.exit_code == 0, result.output
    assert "60 invitations created" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 60 and set(rows[0]) == {"email", "name", "group", "unit", "link"}
    assert rows[0]["link"].startswith("http://127.0.0.1:5000/r/")
    assert os.stat(out).st_mode & 0o077 == 0
    client = sqlite_app.test_client()
    client.get(rows[0]["link"].removeprefix("http://127.0.0.1:5000"))
    client.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    report = json.loads(examples("rounds", "progress", rid, "--json", "-").output)
    first = next(
        r for r in report["rows"] if r["unit"] == rows[0]["unit"] and r["group"] == rows[0]["group"]
    )
    assert first["responded"] == 1 and first["rate"] == round(1 / first["invited"], 4)
    assert report["totals"]["invited"] == 60 and report["totals"]["responded"] == 1


def test_links_reissues_only_unanswered_and_old_links_stop_working(examples, sqlite_app, tmp_path):
    rid = _create(examples, "--opens", "2020-01-01T00:00:00Z")
    first = tmp_path / "first.csv"
    examples("rounds", "invite", rid, EXAMPLES / "respondents.csv", "--links", first)
    old = [r["link"].split("/r/")[1] for r in csv.DictReader(first.open(encoding="utf-8"))]
    client = sqlite_app.test_client()
    client.get(f"/r/{old[0]}")
    client.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    second = tmp_path / "second.csv"
    assert examples("rounds", "links", rid, "--csv", second).exit_code == 0
    new = [r["link"].split("/r/")[1] for r in csv.DictReader(second.open(encoding="utf-8"))]
    assert len(new) == 59 and not set(new) & set(old)
    assert sqlite_app.test_client().get(f"/r/{old[1]}").status_code == 404
    assert sqlite_app.test_client().get(f"/r/{new[0]}").status_code == 200


def test_revoke_withdraws_one_link_by_link_or_address(examples, sqlite_app, tmp_path):
    rid = _create(examples, "--opens", "2020-01-01T00:00:00Z")
    out = tmp_path / "links.csv"
    examples("rounds", "invite", rid, EXAMPLES / "respondents.csv", "--links", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    by_link = examples("rounds", "revoke", rid, "--link", rows[0]["link"])
    assert by_link.exit_code == 0 and "withdrawn" in by_link.output
    by_address = examples("rounds", "revoke", rid, "--email", rows[1]["email"].upper())
    assert by_address.exit_code == 0 and "withdrawn" in by_address.output
    assert (
        "already withdrawn" in examples("rounds", "revoke", rid, "--link", rows[0]["link"]).output
    )
    for row in rows[:2]:
        page = sqlite_app.test_client().get(row["link"].removeprefix("http://127.0.0.1:5000"))
        assert page.status_code == 410
    client = sqlite_app.test_client()  # an answered one stays answered
    client.get(rows[2]["link"].removeprefix("http://127.0.0.1:5000"))
    client.post("/respond", data={"s": "0", "action": "submit_anyway", "Q01": "4"})
    answered = examples("rounds", "revoke", rid, "--email", rows[2]["email"])
    assert answered.exit_code != 0 and "answered" in answered.output
    unknown = examples("rounds", "revoke", rid, "--link", "http://x/r/" + "A" * 32)
    assert unknown.exit_code != 0 and "no invitation" in unknown.output
    assert examples("rounds", "revoke", rid).exit_code != 0  # neither --email nor --link
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).where(Invitation.is_revoked)) == 2
    progress = json.loads(examples("rounds", "progress", rid, "--json", "-").output)
    assert progress["totals"]["invited"] == 58  # a withdrawn link is not counted


def test_a_bad_respondent_list_is_rejected_whole_with_every_problem(examples, sqlite_app, tmp_path):
    rid = _create(examples, "--frame", EXAMPLES / "frame.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name,group,unit,stratum,psu,sex\n"
        "ok@x.vn,Ok,leader,C01,C01-leader,C01-D1,F\n"
        "not-an-address,A,leader,C01,C01-leader,C01-D1,F\n"
        "b@x.vn,B,mayor,C01,C01-leader,C01-D1,F\n"
        "c@x.vn,C,leader,X99,C01-leader,C01-D1,F\n"
        "d@x.vn,D,leader,C01,nowhere,,F\n"
        "ok@x.vn,Ok again,leader,C01,C01-leader,C01-D1,F\n",
        encoding="utf-8",
    )
    result = examples("rounds", "invite", rid, bad)
    assert result.exit_code == 1
    for expected in (
        "row 3: 'not-an-address' is not an e-mail address",
        "row 4: unknown respondent group 'mayor'",
        "row 5: unit 'X99' is not in this round",
        "row 6: empty psu",
        "row 6: stratum 'nowhere' is not in the round's",
        "row 7: ok@x.vn is already listed for C01/leader (row 2)",
    ):
        assert expected in result.output
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_xlsx_respondent_list_works_like_csv(examples, sqlite_app, tmp_path):
    from openpyxl import Workbook

    margins = tmp_path / "margins.csv"
    margins.write_text("variable,level,count\nage_band,30-39,120\nage_band,40-49,80\n")
    rid = _create(examples, "--margins", margins)
    book = Workbook()
    sheet = book.active
    sheet.append(["email", "name", "group", "unit", "stratum", "psu", "age_band"])
    sheet.append(["x@x.vn", "X", "official", "V01", "V01-official", 7, "30-39"])
    sheet.append([None, "Không e-mail", "official", "V01", "V01-official", 7, "30-39"])
    book.save(tmp_path / "list.xlsx")
    assert examples("rounds", "invite", rid, tmp_path / "list.xlsx").exit_code == 0
    with sqlite_app.app_context():
        invs = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        assert [(i.email, i.psu, i.attributes) for i in invs] == [
            ("x@x.vn", "7", {"age_band": "30-39"}),
            (None, "7", {"age_band": "30-39"}),
        ]


def test_a_column_that_is_not_a_declared_weighting_variable_is_refused(
    examples, sqlite_app, tmp_path
):
    rid = _create(examples)
    lines = "".join(f"p{i}@x.vn,P,official,C01,C01-official,D1,{1000 + i}\n" for i in range(25))
    lines += "p99@x.vn,P,official,C01,C01-official,D1,\n"  # a blank cell hides nothing
    path = tmp_path / "ids.csv"
    path.write_text("email,name,group,unit,stratum,psu,staff_no\n" + lines, encoding="utf-8")
    result = examples("rounds", "invite", rid, path)
    assert result.exit_code == 1
    assert "column staff_no: 'staff_no' is not a weighting variable of this round" in result.output
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_psu_per_person_is_refused(examples, tmp_path):
    rid = _create(examples)
    lines = "".join(f"p{i}@x.vn,P,official,C01,C01-official,{1000 + i}\n" for i in range(25))
    path = tmp_path / "ids.csv"
    path.write_text("email,name,group,unit,stratum,psu\n" + lines, encoding="utf-8")
    result = examples("rounds", "invite", rid, path)
    assert result.exit_code == 1 and "column psu: every row has a different value" in result.output


def test_import_responses_validates_against_the_questionnaire(examples, sqlite_app, tmp_path):
    rid = _create(examples, "--opens", "2020-01-01T00:00:00Z")
    ok = examples("rounds", "import-responses", rid, EXAMPLES / "responses.csv")
    assert ok.exit_code == 0 and "520 responses imported" in ok.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "response_id,unit,group,stratum,psu,weight,Q01,Q77\n"
        "a,C01,leader,s,p,1,5,\n"
        "b,X01,citizen,s,p,1,4,\n"
        "c,C01,leader,s,p,1,,3\n",
        encoding="utf-8",
    )
    result = examples("rounds", "import-responses", rid, bad)
    assert result.exit_code == 1
    for expected in (
        "row 2: Q01: '5' is not on the item's scale",
        "row 3: unit 'X01'",
        "row 3: unknown respondent group 'citizen'",
        "row 4: unknown item 'Q77'",
    ):
        assert expected in result.output
    with sqlite_app.app_context():
        channels = db.session.execute(
            select(Response.channel, func.count()).group_by(Response.channel)
        )
        assert dict(channels.all()) == {"import": 520}
    result = examples("rounds", "progress", rid, "--json", "-")
    assert json.loads(result.output)["totals"]["other_channels"] == 520, result.output


def test_unknown_round_and_bad_times_fail_with_one_line(examples):
    assert "no round 42" in examples("rounds", "progress", 42).output
    bad = examples(
        "rounds",
        "create",
        "--name",
        "x",
        "--criteria-set",
        "MIC-CUC-2018",
        "--questionnaire",
        "MIC-XHH-2018",
        "--opens",
        "tomorrow",
    )
    assert bad.exit_code == 1 and "--opens: not an ISO 8601 time" in bad.output
