"""Evidence files: checked by extension and content, stored privately, served as downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app.assessments.evidence import clean_name, sniff
from survey_app.assessments.models import Evidence, SelfAssessment
from survey_app.extensions import db
from tests.assessments.conftest import count

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\n"


def _ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return out.getvalue()


@pytest.fixture
def draft_item(world) -> str:
    focal = world.client("focal")
    focal.post(world.sheet_url(), data=world.full_sheet(action="save"))
    with world.app.app_context():
        sa = db.session.scalar(select(SelfAssessment).order_by(SelfAssessment.id))
        return f"/assessments/items/{sa.id}"


def _upload(client, item: str, name: str, data: bytes, lang: str = "vi"):
    return client.post(f"{item}/evidence?lang={lang}", data={"file": (io.BytesIO(data), name)})


def _stored(world) -> list[Path]:
    folder = Path(world.app.instance_path) / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("quyết định.pdf", PDF, "application/pdf"),
        ("ảnh.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        (
            "báo cáo.docx",
            _ooxml("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "bảng.xlsx",
            _ooxml("xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_each_allowed_kind_is_stored_under_a_random_name_and_served_as_a_download(
    world, draft_item, name, data, media_type
):
    focal = world.client("focal")
    assert _upload(focal, draft_item, name, data).status_code == 302
    [path] = _stored(world)
    assert len(path.name) == 32 and "static" not in path.parts and path.read_bytes() == data
    with world.app.app_context():
        ev = db.session.scalar(select(Evidence))
        assert (ev.original_name, ev.content_type, ev.size_bytes) == (name, media_type, len(data))
    for who in ("focal", "admin", "appraiser", "viewer"):
        got = world.client(who).get(f"/assessments/evidence/{ev.id}")
        assert got.status_code == 200 and got.data == data
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.mimetype == media_type


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "script.html",
            b"<script>alert(1)</script>",
            "Only PDF, DOCX, XLSX, PNG and JPEG files are accepted",
        ),
        ("fake.pdf", b"<html>not a pdf</html>", "content is not the PDF its name says"),
        ("image.png", PDF, "content is not the PNG its name says"),
        (
            "plain.docx",
            _ooxml("xl/workbook.xml"),
            "content is not the DOCX its name says",
        ),
        ("empty.pdf", b"", "content is not the PDF its name says"),
    ],
)
def test_a_wrong_type_is_refused_with_a_clear_message_and_nothing_is_stored(
    world, draft_item, name, data, message
):
    refused = _upload(world.client("focal"), draft_item, name, data, lang="en")
    assert refused.status_code == 400 and message in refused.text
    assert _stored(world) == [] and count(world.app, Evidence) == 0


def test_an_oversized_file_is_refused_in_vietnamese_and_nothing_is_stored(world, draft_item):
    world.app.config["EVIDENCE_MAX_BYTES"] = 1024
    refused = _upload(world.client("focal"), draft_item, "big.pdf", PDF + b"x" * 1024)
    assert refused.status_code == 400
    assert "Tệp lớn hơn 1 KB; tệp chưa được lưu." in refused.text
    assert _stored(world) == [] and count(world.app, Evidence) == 0


def test_evidence_can_be_removed_from_a_draft_but_not_after_submission(world, draft_item):
    focal = world.client("focal")
    _upload(focal, draft_item, "a.pdf", PDF)
    _upload(focal, draft_item, "b.pdf", PDF)
    with world.app.app_context():
        first, second = db.session.scalars(select(Evidence.id).order_by(Evidence.id))
    assert focal.post(f"/assessments/evidence/{first}/delete").status_code == 302
    assert len(_stored(world)) == 1 and count(world.app, Evidence) == 1
    focal.post(world.sheet_url(), data=world.full_sheet(action="submit"))
    assert focal.post(f"/assessments/evidence/{second}/delete").status_code == 400
    assert _upload(focal, draft_item, "c.pdf", PDF).status_code == 400
    assert len(_stored(world)) == 1 and count(world.app, Evidence) == 1


def test_sniffing_reads_content_not_names():
    assert sniff(PDF) == "application/pdf"
    assert sniff(b"PK\x03\x04 broken zip") is None
    assert sniff(b"GIF89a") is None
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\x\\báo cáo\x00.pdf") == "báo cáo.pdf"
    assert clean_name("") == "evidence"
