"""The unit administration pages, signed in as an admin (and refused to everyone else)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from survey_app.accounts.operations import create_user
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.rounds.models import Round
from survey_app.units.models import PreviousResult, Unit
from tests.conftest import EXAMPLES
from tests.rounds.conftest import load_examples, make_round

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(sqlite_app):
    with sqlite_app.app_context():
        load_examples()
        create_user("admin@x.vn", "admin", PASSWORD)
        for role in ("appraiser", "viewer"):
            create_user(f"{role}@x.vn", role, PASSWORD)
        create_user("focal@x.vn", "focal", PASSWORD, "C01")
        db.session.commit()
    return _client(sqlite_app, "admin@x.vn")


def _client(app, email):
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def _csv(text: str, name: str = "file.csv"):
    return {"file": (io.BytesIO(text.encode("utf-8")), name)}


def _post_file(client, url, text, name="file.csv"):
    return client.post(url, data=_csv(text, name), content_type="multipart/form-data")


def _units(app) -> dict[str, tuple]:
    with app.app_context():
        return {
            u.code: (u.kind.code, u.name_vi, u.name_en, u.is_active)
            for u in db.session.scalars(select(Unit))
        }


def _previous(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(Unit.code, PreviousResult.year, PreviousResult.index_value).join(
                Unit, Unit.id == PreviousResult.unit_id
            )
        )
        return sorted(tuple(r) for r in rows)


def _unit_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_list_groups_units_under_their_kind_names(sqlite_app, admin):
    _post_file(admin, "/admin/units/previous", "unit,year,index\nC01,2016,70\nC01,2017,78.94\n")
    page = admin.get("/admin/units/")
    assert page.status_code == 200
    assert 'href="/admin/units/" aria-current="page">Đơn vị<' in page.text
    assert "<caption>Cục · 10 đơn vị</caption>" in page.text
    assert "Vụ và tương đương · 11 đơn vị" in page.text
    assert ">cuc<" not in page.text and ">vu<" not in page.text
    assert "Cục An toàn thông tin" in page.text and "Authority of Information Security" in page.text
    assert "78,94 (2017)" in page.text and "(2016)" not in page.text
    assert "Tải lên danh sách đơn vị (CSV)" in page.text
    assert "Đang hoạt động" in page.text


def test_without_units_the_list_explains_the_file_and_links_to_the_upload(sqlite_app):
    with sqlite_app.app_context():
        create_user("admin@x.vn", "admin", PASSWORD)
        db.session.commit()
    page = _client(sqlite_app, "admin@x.vn").get("/admin/units/")
    assert "Chưa có đơn vị nào" in page.text and "code, kind, name_vi, name_en" in page.text
    assert 'href="/admin/units/upload"' in page.text


def test_an_upload_updates_known_codes_and_creates_new_ones(sqlite_app, admin):
    text = (
        "code,kind,name_vi,name_en\n"
        "C01,cuc,Cục An toàn thông tin mạng,Cyber Security\n"
        "C99,cuc,Cục Mới,New Authority\n"
    )
    uploaded = _post_file(admin, "/admin/units/upload", text, "units.csv")
    assert uploaded.status_code == 303
    units = _units(sqlite_app)
    assert units["C01"] == ("cuc", "Cục An toàn thông tin mạng", "Cyber Security", True)
    assert units["C99"] == ("cuc", "Cục Mới", "New Authority", True)
    assert len(units) == 22
    page = admin.get("/admin/units/")
    assert "Đã nhập đơn vị: 1 đơn vị mới, 1 đơn vị được cập nhật." in page.text
    assert _audit(sqlite_app, "units.import")[-1].new == {"created": 1, "updated": 1}


def test_a_bad_units_file_changes_nothing_and_lists_every_problem(sqlite_app, admin):
    before = _units(sqlite_app)
    text = "code,kind,name_vi,name_en\nC01,cuc,Mới,New\nC77,,X,\nC01,cuc,Lại,Again\n"
    refused = _post_file(admin, "/admin/units/upload", text)
    assert refused.status_code == 400
    assert "Tệp có lỗi; dữ liệu không thay đổi." in refused.text
    assert "dòng 3: thiếu kind, name_en" in refused.text
    assert "dòng 4: mã đơn vị &#39;C01&#39; bị trùng (xuất hiện lần đầu ở dòng 2)" in refused.text
    assert _units(sqlite_app) == before


def test_a_file_that_is_not_utf8_or_not_csv_is_refused(sqlite_app, admin):
    before = _units(sqlite_app)
    latin = "code,kind,name_vi,name_en\nC01,cuc,Café,x\n".encode("latin-1")
    refused = admin.post(
        "/admin/units/upload",
        data={"file": (io.BytesIO(latin), "u.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "UTF-8" in refused.text
    assert _post_file(admin, "/admin/units/upload", "x", "units.xlsx").status_code == 400
    assert admin.post("/admin/units/upload", data={}).status_code == 400
    assert _units(sqlite_app) == before


def test_an_admin_renames_a_unit_and_the_change_is_audited(sqlite_app, admin):
    unit_id = _unit_id(sqlite_app, "C01")
    form = admin.get(f"/admin/units/{unit_id}/edit")
    assert form.status_code == 200 and 'value="Cục An toàn thông tin"' in form.text
    saved = admin.post(
        f"/admin/units/{unit_id}/edit", data={"name_vi": " Cục ATTT ", "name_en": "AIS"}
    )
    assert saved.status_code == 303
    assert _units(sqlite_app)["C01"][1:3] == ("Cục ATTT", "AIS")
    (entry,) = _audit(sqlite_app, "unit.rename")
    assert entry.old["name_vi"] == "Cục An toàn thông tin" and entry.new["name_en"] == "AIS"


def test_names_are_required_and_limited_to_the_column_length(sqlite_app, admin):
    unit_id = _unit_id(sqlite_app, "C01")
    before = _units(sqlite_app)
    refused = admin.post(
        f"/admin/units/{unit_id}/edit", data={"name_vi": "  ", "name_en": "x" * 256}
    )
    assert refused.status_code == 400
    assert "Trường này là bắt buộc." in refused.text
    assert "Không được dài quá 255 ký tự." in refused.text
    assert "x" * 256 in refused.text  # what was typed is kept
    assert _units(sqlite_app) == before
    assert admin.get("/admin/units/99999/edit").status_code == 404


def test_deactivation_is_confirmed_first_and_keeps_the_unit_in_past_rounds(sqlite_app, admin):
    with sqlite_app.app_context():
        make_round(open_it=False)
        db.session.commit()
    unit_id = _unit_id(sqlite_app, "C01")
    confirm = admin.get(f"/admin/units/{unit_id}/deactivate")
    assert confirm.status_code == 200
    assert "Cục An toàn thông tin sẽ không được đưa vào các đợt khảo sát mới." in confirm.text
    assert "vẫn được giữ trong 1 đợt khảo sát" in confirm.text
    assert 'class="danger">Vô hiệu hóa đơn vị<' in confirm.text
    assert _units(sqlite_app)["C01"][3] is True
    # a POST without the confirmation only shows the page again
    assert admin.post(f"/admin/units/{unit_id}/deactivate").status_code == 200
    assert _units(sqlite_app)["C01"][3] is True
    done = admin.post(f"/admin/units/{unit_id}/deactivate", data={"confirmed": "1"})
    assert done.status_code == 303
    assert _units(sqlite_app)["C01"][3] is False
    with sqlite_app.app_context():
        (rnd,) = db.session.scalars(select(Round))
        assert "C01" in {u.code for u in rnd.units}
    assert "Đã vô hiệu hóa" in admin.get("/admin/units/").text
    (entry,) = _audit(sqlite_app, "unit.deactivate")
    assert (entry.old, entry.new) == ({"is_active": True}, {"is_active": False})


def test_an_inactive_unit_is_not_part_of_a_new_round_until_reactivated(sqlite_app, admin):
    unit_id = _unit_id(sqlite_app, "C01")
    confirm = admin.get(f"/admin/units/{unit_id}/deactivate")
    assert "Đơn vị này chưa thuộc đợt khảo sát nào." in confirm.text
    admin.post(f"/admin/units/{unit_id}/deactivate", data={"confirmed": "1"})
    with sqlite_app.app_context():
        rnd = db.session.get(Round, make_round(open_it=False))
        assert "C01" not in {u.code for u in rnd.units} and len(rnd.units) == 20
        db.session.commit()
    assert admin.post(f"/admin/units/{unit_id}/reactivate").status_code == 303
    assert _units(sqlite_app)["C01"][3] is True
    assert len(_audit(sqlite_app, "unit.reactivate")) == 1
    with sqlite_app.app_context():
        rnd = db.session.get(Round, make_round(open_it=False))
        assert "C01" in {u.code for u in rnd.units}


def test_last_years_index_is_stored_and_listed_by_year(sqlite_app, admin):
    page = admin.get("/admin/units/previous")
    assert page.status_code == 200 and "Chưa có chỉ số của các năm trước" in page.text
    text = (EXAMPLES / "previous.csv").read_text(encoding="utf-8")
    assert _post_file(admin, "/admin/units/previous", text).status_code == 303
    assert (
        _post_file(admin, "/admin/units/previous", "unit,year,index\nC01,2016,70.5\n").status_code
        == 303
    )
    stored = _previous(sqlite_app)
    assert ("C01", 2017, 78.94) in stored and ("C01", 2016, 70.5) in stored
    assert len(stored) == len(text.strip().splitlines())
    page = admin.get("/admin/units/previous")
    assert "Đã lưu chỉ số năm trước: 1 dòng." in page.text
    assert page.text.index("Chỉ số CCHC năm 2017") < page.text.index("Chỉ số CCHC năm 2016")
    assert "78,94" in page.text and "70,50" in page.text
    assert _audit(sqlite_app, "units.import_previous")[0].new["years"] == [2017]


def test_a_bad_previous_file_stores_nothing_and_lists_every_problem(sqlite_app, admin):
    text = "unit,year,index\nC01,2017,78\nXX,2017,50\nC02,20x7,50\nC03,2017,101\nC01,2017,79\n"
    refused = _post_file(admin, "/admin/units/previous", text)
    assert refused.status_code == 400
    for problem in (
        "dòng 3: không có đơn vị &#39;XX&#39;",
        "dòng 4: năm &#39;20x7&#39; không nằm trong khoảng",
        "dòng 5: chỉ số 101 nằm ngoài khoảng 0 … 100",
        "dòng 6: C01 2017 bị lặp (xuất hiện lần đầu ở dòng 2)",
    ):
        assert problem in refused.text
    assert _previous(sqlite_app) == []


@pytest.mark.parametrize("role", ["appraiser", "focal", "viewer"])
def test_other_roles_are_refused_and_nothing_changes(sqlite_app, admin, role):
    unit_id = _unit_id(sqlite_app, "C01")
    before = _units(sqlite_app)
    client = _client(sqlite_app, f"{role}@x.vn")
    for url in (
        "/admin/units/",
        "/admin/units/upload",
        "/admin/units/previous",
        f"/admin/units/{unit_id}/edit",
        f"/admin/units/{unit_id}/deactivate",
    ):
        assert client.get(url).status_code == 403
    units = "code,kind,name_vi,name_en\nC01,cuc,Đổi,Changed\n"
    assert _post_file(client, "/admin/units/upload", units).status_code == 403
    assert (
        _post_file(client, "/admin/units/previous", "unit,year,index\nC01,2017,5\n").status_code
        == 403
    )
    assert (
        client.post(
            f"/admin/units/{unit_id}/edit", data={"name_vi": "a", "name_en": "b"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/admin/units/{unit_id}/deactivate", data={"confirmed": "1"}).status_code
        == 403
    )
    assert client.post(f"/admin/units/{unit_id}/reactivate").status_code == 403
    assert _units(sqlite_app) == before and _previous(sqlite_app) == []


def test_signed_out_visitors_go_to_sign_in(sqlite_app, admin):
    anonymous = sqlite_app.test_client()
    assert anonymous.get("/admin/units/").status_code == 302
    assert anonymous.post("/admin/units/upload").status_code == 302
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PreviousResult)) == 0
