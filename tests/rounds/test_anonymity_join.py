"""The join of issue 17: responses matched back to invitations on the values they copy.

Whoever holds the database (or the respondent list and the microdata export) joins each
response to the invitations with the same unit, group, stratum, PSU and attributes. With
a minimum cell size k, no response may match fewer than k people (or its whole unit and
group, where that holds fewer than k: the stated limit).
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.formats.respondents import parse_respondents
from survey_app.invitations.models import Invitation
from survey_app.invitations.operations import list_rules
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from survey_app.units.models import Unit
from tests.rounds.conftest import RESPONDENTS_HEADER, answers, invite

K = 5


def hostile_list() -> str:
    """60 people as in the issue's example (per-department PSUs, sex), where many are
    alone in their cell, plus 12 leaders of C03 in one department, six of each sex."""
    rng = random.Random(17)
    lines = []
    for unit in ("C01", "C02", "V05"):
        for group in ("leader", "official"):
            for i in range(10):
                psu = f"{unit}-D{rng.randint(1, 4)}"
                sex = rng.choice("FM")
                lines.append(f"{unit}.{group}.{i}@x.vn,P,{group},{unit},{unit}-{group},{psu},{sex}")
    for i in range(12):
        lines.append(f"c03.{i}@x.vn,P,leader,C03,C03-leader,C03-D1,{'FM'[i % 2]}")
    return RESPONDENTS_HEADER + "\n".join(lines) + "\n"


def _raw_cells(text: str) -> Counter:
    rows = list(csv.DictReader(io.StringIO(text)))
    return Counter((r["unit"], r["group"], r["stratum"], r["psu"], r["sex"]) for r in rows)


def _key(unit: str, group: str, stratum: str, psu: str, attributes: dict) -> tuple:
    return (unit, group, stratum, psu, tuple(sorted((attributes or {}).items())))


def _database_join(round_id: int, *, used_only: bool) -> dict[str, int]:
    """Response id → invitations (all, or used ones) with the response's copied values."""
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    stmt = select(Invitation).where(Invitation.round_id == round_id, ~Invitation.is_revoked)
    if used_only:
        stmt = stmt.where(Invitation.is_used)
    people = Counter(
        _key(codes[i.unit_id], i.group_code, i.stratum, i.psu, i.attributes)
        for i in db.session.scalars(stmt)
    )
    responses = db.session.scalars(select(Response).where(Response.round_id == round_id))
    return {
        r.id: people[_key(codes[r.unit_id], r.group_code, r.stratum, r.psu, r.attributes)]
        for r in responses
    }


def _answer_everyone(app, tokens: list[str]) -> None:
    """Every third person saves a draft first (the transaction path); the others submit at
    once (on PostgreSQL the one-statement path)."""
    for n, token in enumerate(tokens):
        client = app.test_client()
        assert client.get(f"/r/{token}").status_code == 200
        if n % 3 == 0:
            saved = client.post("/respond", data={"s": "0", "action": "save", "Q01": "4"})
            assert saved.status_code == 303
        done = client.post("/respond", data={"s": "0", "action": "submit", **answers(3)})
        assert done.status_code == 303, done.text


def test_the_issues_list_had_people_alone_in_their_cell():
    cells = _raw_cells(hostile_list())
    assert sum(n for n in cells.values() if n == 1) >= 10  # the attack the rules must stop


def test_no_response_matches_fewer_than_k_invitations_in_the_database(round_app):
    app, round_id = round_app
    with app.app_context():
        tokens = invite(round_id, hostile_list())
    first, rest = tokens[::2], tokens[1::2]
    _answer_everyone(app, first)
    with app.app_context():
        # someone with the list (every invitation, used or not) during the round
        assert min(_database_join(round_id, used_only=False).values()) >= K
    _answer_everyone(app, rest)
    with app.app_context():
        matches = _database_join(round_id, used_only=True)  # the issue's join, at the end
        used = db.session.scalar(select(func.count()).where(Invitation.is_used))
        drafts = db.session.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.has_draft, ~Invitation.is_used))  # fmt: skip
        kept = db.session.scalars(select(Response.attributes)).all()
    assert len(matches) == used == len(tokens) and drafts == 0  # none lost, none twice
    assert min(matches.values()) >= K, sorted(matches.values())[:5]
    assert {"sex": "F"} in kept  # C03's leaders keep their sex: six of each
    assert all(set(a) <= {"sex"} for a in kept)  # the declared weighting variable only


def test_no_response_matches_fewer_than_k_people_of_the_list_in_the_export(round_app):
    from survey_app.results.exports.microdata import load_microdata
    from survey_app.results.exports.microdata_files import microdata_bytes

    app, round_id = round_app
    text = hostile_list()
    with app.app_context():
        tokens = invite(round_id, text)
    _answer_everyone(app, tokens[::3])
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        exported = microdata_bytes(load_microdata(rnd), "csv").decode("utf-8-sig")
        # the attacker reruns the published coarsening on the list they hold
        empty = list_rules(rnd)
        empty = type(empty)(units=empty.units, groups=empty.groups, weighting=empty.weighting)
        coarse = parse_respondents(text.encode(), "list.csv", empty).rows
    listed = Counter(_key(r.unit, r.group, r.stratum, r.psu, r.attributes) for r in coarse)
    raw = list(csv.DictReader(io.StringIO(text)))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == len(tokens[::3])
    for row in rows:
        sex = row.get("sex") or row.get("attr_sex")  # prefixed if a question is named so
        attrs = {"sex": sex} if sex else {}
        assert listed[_key(row["unit"], row["group"], row["stratum"], row["psu"], attrs)] >= K
        # a naive join on the original list: a pooled PSU or a dropped attribute matches any
        naive = [
            p
            for p in raw
            if (p["unit"], p["group"], p["stratum"]) == (row["unit"], row["group"], row["stratum"])
            and row["psu"] in ("*", p["psu"])
            and (not attrs or attrs["sex"] == p["sex"])
        ]
        assert len(naive) >= K


def test_a_unit_and_group_smaller_than_k_is_one_cell_and_shown_to_the_admin(sqlite_round):
    app, round_id = sqlite_round
    three = "".join(f"s{i}@x.vn,S,leader,V01,V01-leader,V01-D{i},{'FM'[i % 2]}\n" for i in range(3))
    with app.app_context():
        invite(round_id, RESPONDENTS_HEADER + three)
        stored = db.session.execute(select(Invitation.psu, Invitation.attributes)).all()
        from survey_app.invitations.operations import list_small_groups

        assert list_small_groups(db.session.get(Round, round_id)) == [("V01", "leader", 3)]
    assert stored == [("*", {})] * 3  # the three are one cell: nothing tells them apart


def test_import_keeps_only_declared_weighting_variables(sqlite_round):
    from survey_app.formats.responses_csv import parse_responses
    from survey_app.responses.operations import import_responses, questionnaire_rules

    app, round_id = sqlite_round
    text = "response_id,unit,group,stratum,psu,weight,sex,staff_id,Q01\n" + "".join(
        f"r{i},C01,leader,C01-leader,P,1,F,{9000 + i},4\n" for i in range(6)
    )
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        import_responses(rnd, parse_responses(text, "paper.csv", questionnaire_rules(rnd)))
        kept = db.session.scalars(select(Response.attributes)).all()
    assert kept == [{"sex": "F"}] * 6


def test_the_admin_upload_refuses_an_undeclared_column_in_vietnamese_and_stores_nothing(
    sqlite_round,
):
    from survey_app.accounts.operations import create_user

    app, round_id = sqlite_round
    with app.app_context():
        create_user("admin@x.vn", "admin", "correct horse battery")
        db.session.commit()
    admin = app.test_client()
    admin.post("/login", data={"email": "admin@x.vn", "password": "correct horse battery"})
    body = "email,name,group,unit,stratum,psu,sex,staff_id\n" + "".join(
        f"p{i}@x.vn,P,leader,C01,C01-leader,D1,F,{'' if i == 0 else 7000 + i}\n" for i in range(25)
    )
    refused = admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": (io.BytesIO(body.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "cột staff_id: “staff_id” không phải là biến gia quyền của đợt khảo sát này" in (
        refused.text
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    few = RESPONDENTS_HEADER + "".join(
        f"q{i}@x.vn,Q,leader,C01,C01-leader,C01-D{i % 3},{'FM'[i % 2]}\n" for i in range(6)
    )
    created = admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": (io.BytesIO(few.encode()), "few.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert created.status_code == 200
    assert "Không giữ các thuộc tính gia quyền" in created.text  # sex would split 6 into 3 + 3
    assert "đã được gộp thành một đơn vị “*”" in created.text
    assert "Tính ẩn danh của phiếu trả lời" in created.text and "sex" in created.text
