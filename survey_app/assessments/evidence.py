"""Evidence files: checked by extension and by content, stored outside the web root."""

from __future__ import annotations

import io
import secrets
import unicodedata
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from survey_app.assessments.models import Evidence, SelfAssessment
from survey_app.assessments.operations import log_assessment
from survey_app.assessments.rules import AssessmentError, can_add_evidence, can_edit_self
from survey_app.core.files import stage_file, sweep_orphans, unlink_on_commit
from survey_app.extensions import db


def evidence_folder() -> Path:
    """Where evidence files are kept: the instance folder, outside the web root."""
    return Path(current_app.instance_path) / "evidence"


def sweep_evidence(grace_seconds: float | None = None) -> int:
    """Remove evidence files that have no row (older than the grace period)."""
    grace = (
        grace_seconds
        if grace_seconds is not None
        else current_app.config.get("ORPHAN_GRACE_SECONDS", 3600)
    )

    def known(names):
        stmt = select(Evidence.stored_name).where(Evidence.stored_name.in_(list(names)))
        return set(db.session.scalars(stmt))

    return sweep_orphans(evidence_folder(), known, grace)


#: Default size limit; ``EVIDENCE_MAX_BYTES`` in the app config overrides it.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: extension → the media type its content must show
ALLOWED = {
    ".pdf": "application/pdf",
    ".docx": _DOCX,
    ".xlsx": _XLSX,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
#: the part an Office Open XML package of each kind must contain
_OOXML_PARTS = {"word/document.xml": _DOCX, "xl/workbook.xml": _XLSX}


def sniff(data: bytes) -> str | None:
    """The media type the bytes show (not what the browser claimed), or None."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data.startswith(b"PK\x03\x04"):
        return _ooxml_type(data)
    return None


def _ooxml_type(data: bytes) -> str | None:
    try:  # only the central directory is read; nothing is decompressed
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((t for part, t in _OOXML_PARTS.items() if part in names), None)


def clean_name(name: str | None) -> str:
    """The user's file name for display and download: no path, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[-200:] or "evidence"


def read_limited(stream, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AssessmentError(
            "The file is larger than {limit}; nothing was stored.", limit=human_size(max_bytes)
        )
    return data


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.3g} MB"
    return f"{n / 1024:.3g} KB"


def check_file(name: str, data: bytes) -> str:
    """The media type of an allowed file; a clear error otherwise."""
    extension = Path(name).suffix.lower()
    expected = ALLOWED.get(extension)
    if expected is None:
        raise AssessmentError(
            "Only PDF, DOCX, XLSX, PNG and JPEG files are accepted; nothing was stored."
        )
    if not data or sniff(data) != expected:
        raise AssessmentError(
            "The file's content is not the {ext} its name says; nothing was stored.",
            ext=extension[1:].upper(),
        )
    return expected


def add_evidence(
    sa: SelfAssessment, rnd, filename: str, stream, folder: Path, user, max_bytes: int
) -> Evidence:
    """Check and store one file for a score the unit may still document."""
    if not can_add_evidence(sa, rnd):
        raise AssessmentError("Evidence can be added to a draft, or to explain an adjustment.")
    name = clean_name(filename)
    data = read_limited(stream, max_bytes)
    media_type = check_file(name, data)
    stored = secrets.token_hex(16)
    stage_file(db.session, folder / stored, data)  # in place once the row commits
    ev = Evidence(
        original_name=name,
        stored_name=stored,
        content_type=media_type,
        size_bytes=len(data),
        uploaded_by_id=user.id,
    )
    sa.evidence.append(ev)
    db.session.flush()
    log_assessment(
        "evidence.add", sa, None, {"file": name, "evidence_id": ev.id, "bytes": len(data)}
    )
    return ev


def remove_evidence(ev: Evidence, rnd, folder: Path) -> None:
    """Drafts only: once submitted, the evidence the council saw stays."""
    sa = db.session.get(SelfAssessment, ev.assessment_id)
    if not can_edit_self(sa, rnd):
        raise AssessmentError("Evidence can only be removed from a draft.")
    sa.evidence.remove(ev)
    db.session.flush()
    unlink_on_commit(db.session, folder / ev.stored_name)
    log_assessment("evidence.remove", sa, {"file": ev.original_name, "evidence_id": ev.id}, None)


def evidence_path(ev: Evidence, folder: Path) -> Path:
    return folder / ev.stored_name
