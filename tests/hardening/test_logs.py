"""Logs at DEBUG through a whole flow, through a real HTTP server (so werkzeug's access
log is in it): no token, token hash, password, answer text or respondent name."""

from __future__ import annotations

import http.client
import logging
import re
import secrets

from sqlalchemy import select

from tests.assessments.conftest import EMAILS, PASSWORD
from tests.hardening.conftest import PNG
from tests.rounds.httpserver import Browser, serving

NAME, MAIL = "Bùi Thu Ngọc", "ngoc.bui@example.gov.vn"
NOTE = "Ghi chú mật: trưởng phòng không họp"
WRONG = "wrong-" + secrets.token_hex(6)


class Multipart(Browser):
    """The tests' browser, able to send a file (multipart/form-data)."""

    def upload(self, path: str, fields: dict, file_field: str, name: str, data: bytes):
        boundary = secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text


def _sign_in(browser: Browser, email: str) -> None:
    assert browser.request("POST", "/login", {"email": email, "password": WRONG})[0] == 401
    assert browser.request("POST", "/login", {"email": email, "password": PASSWORD})[0] == 302


def test_a_whole_flow_at_debug_level_logs_no_secret(world, caplog):
    from survey_app.extensions import db
    from survey_app.invitations.models import Invitation

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL, as an admin might
    app = world.app
    listed = (
        "email,name,group,unit,stratum,psu\n"
        f"{MAIL},{NAME},leader,C01,C01-leader,C01-D1\n"
        "an@x.vn,An,leader,C01,C01-leader,C01-D2\n"
    )
    with serving(app) as port:
        admin = Multipart(port)
        _sign_in(admin, EMAILS["admin"])
        status, links = admin.upload(
            f"/admin/rounds/{world.round_id}/invitations",
            {"download": "y"},
            "respondents",
            "list.csv",
            listed.encode(),
        )
        assert status == 200
        tokens = re.findall(r"/r/([A-Za-z0-9_-]{20,})", links)
        respondent = Browser(port)
        assert respondent.request("GET", f"/r/{tokens[0]}")[0] == 200
        saved = respondent.request("POST", "/respond", {"s": "0", "action": "save", "Q01": "4"})
        assert saved[0] == 303
        assert respondent.request("GET", "/respond")[0] == 200
        answers = {f"Q{i:02d}": "3" for i in range(1, 13)} | {"s": "0", "action": "submit"}
        submitted = respondent.request("POST", "/respond", answers)
        assert submitted[0] == 303
        focal = Multipart(port)
        _sign_in(focal, EMAILS["focal"])
        sheet = world.full_sheet(action="save") | {
            k: NOTE for k in world.full_sheet() if k.startswith("note_")
        }
        assert focal.request("POST", world.sheet_url(), sheet)[0] == 302
        with app.app_context():
            from survey_app.assessments.models import SelfAssessment

            item = db.session.scalar(select(SelfAssessment.id).order_by(SelfAssessment.id))
        status, _ = focal.upload(
            f"/assessments/items/{item}/evidence", {}, "file", "biên bản.png", PNG
        )
        assert status == 302
    with app.app_context():
        hashes = list(db.session.scalars(select(Invitation.token_hash)))
    logged = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    assert "/r/[redacted]" in logged and "POST /login" in logged and "/evidence" in logged
    assert "INSERT INTO responses" in logged and "self_assessments" in logged
    secrets_ = [*tokens, *(h.hex() for h in hashes), *(repr(h) for h in hashes)]
    secrets_ += [PASSWORD, WRONG, NAME, MAIL, NOTE, "ngoc.bui"]
    for secret in secrets_:
        assert secret not in logged
