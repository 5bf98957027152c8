"""No link token in any log: every logger, decoded forms, exception messages and
tracebacks (issue 16 "No token in any log", issue 17 item 5)."""

from __future__ import annotations

import io
import logging
import urllib.parse

import pytest

from survey_app.core.redaction import redact
from tests.hardening.conftest import RESPONDENTS
from tests.rounds.conftest import invite
from tests.rounds.httpserver import Browser, serving
from tests.worker.conftest import wait_for

TOKEN = "Zk3-q_9XwL2mN8pR4tV6yB1cD5fG7hJ0"


def _every_char_encoded(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


@pytest.mark.parametrize(
    "logged",
    [
        f"GET /r/{TOKEN} HTTP/1.1",
        f"GET /r/{TOKEN.replace('-', '%2D')} HTTP/1.1",  # what gunicorn's access log kept
        f"GET /r/{_every_char_encoded(TOKEN)} HTTP/1.1",
        f"GET /%72/{TOKEN} HTTP/1.1",
        f"GET %2Fo%2F{TOKEN} HTTP/1.1",
        f"GET /r/{TOKEN.replace('-', '%252D')} HTTP/1.1",  # encoded twice
        f"path='/account/reset/{TOKEN}.abc'",
        f'"GET /o/{TOKEN}?lang=en HTTP/1.1" 404',
    ],
)
def test_every_encoding_of_a_link_is_redacted(logged):
    clean = redact(logged)
    assert "[redacted]" in clean
    assert not any(TOKEN[i : i + 20] in clean for i in range(len(TOKEN) - 19))
    assert "%" not in clean.split("[redacted]")[0][-12:]  # nothing of the token kept


def test_text_without_links_is_left_alone():
    for text in ("100% done", "GET /results/2018 HTTP/1.1", "a/b/c", "%zz /r/ab"):
        assert redact(text) == text


def _secrets(token: str) -> list[str]:
    forms = {token, urllib.parse.quote(token, safe=""), _every_char_encoded(token)}
    forms |= {token[:n] for n in range(20, len(token))}
    return sorted(forms)


def test_a_500_on_a_link_logs_no_part_of_its_token_anywhere(world, caplog, monkeypatch):
    """Forced failure inside ``GET /r/<token>``, with the token in the exception message:
    Flask's ``Exception on …`` record, its traceback, werkzeug's access and error lines,
    through a real HTTP server, captured at the root (every logger)."""
    from survey_app.responses import views

    app = world.app
    with app.app_context():
        token = invite(world.round_id, RESPONDENTS + "a@x.vn,A,leader,C01,C01-leader,C01-D1\n")[0]

    def broken(value):
        raise RuntimeError(f"lookup of invitation {value} failed") from KeyError(value)

    monkeypatch.setattr(views, "resolve_invitation", broken)
    caplog.set_level(logging.DEBUG)
    written = io.StringIO()
    handler = logging.StreamHandler(written)  # a plain handler on the root, as gunicorn's
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        with serving(app) as port:
            app.config["PROPAGATE_EXCEPTIONS"] = False  # Flask logs and answers 500 itself
            assert Browser(port).request("GET", f"/r/{token}")[0] == 500
            encoded = token[:5] + _every_char_encoded(token[5:])
            assert Browser(port).request("GET", f"/r/{encoded}")[0] == 500
            app.config["PROPAGATE_EXCEPTIONS"] = True  # werkzeug's "Error on request"
            assert Browser(port).request("GET", f"/%72/{token}")[0] == 500
            # werkzeug sends that 500 first and logs "Error on request" after it, in the
            # request's thread: wait for the line (bounded) rather than race it
            wait_for(lambda: "Error on request" in written.getvalue(), 10, "werkzeug's line")
    finally:
        logging.getLogger().removeHandler(handler)
    logged = "\n".join(
        [caplog.text, written.getvalue()]
        + [f"{r.getMessage()} {r.exc_text} {r.args!r}" for r in caplog.records]
    )
    assert "Exception on /r/[redacted] [GET]" in logged  # the records were really made
    assert "RuntimeError: lookup of invitation [redacted] failed" in logged
    assert "Error on request" in logged and '"GET /r/[redacted] HTTP/1.1" 500' in logged
    for secret in _secrets(token):
        assert secret not in logged, secret
