"""``parindex users list | reset-password | deactivate``."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.passwords import verify_password
from survey_app.extensions import db

PASSWORD = "correct horse battery"


def _stored(app, email):
    with app.app_context():
        found = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(found)
        return found


def _accounts(cli):
    assert cli("users", "create", "a@x.vn", "--role", "admin").exit_code == 0
    created = cli(
        "users", "create", "v@x.vn", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n"
    )
    assert created.exit_code == 0, created.output


def test_users_list_shows_every_account(cli):
    _accounts(cli)
    listed = cli("users", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines == ["a@x.vn\tadmin\t-\tactive\tnever", "v@x.vn\tviewer\t-\tactive\tnever"]


def test_reset_password_prints_a_link_that_works_once(cli, sqlite_app):
    _accounts(cli)
    printed = cli("users", "reset-password", "V@x.vn")
    assert printed.exit_code == 0, printed.output
    token = re.search(r"http://127\.0\.0\.1:5000/account/reset/(\S+)", printed.output).group(1)
    data = {"new_password": "the new passphrase", "new_password_again": "the new passphrase"}
    client = sqlite_app.test_client()
    assert client.post(f"/account/reset/{token}", data=data).status_code == 303
    assert verify_password(_stored(sqlite_app, "v@x.vn").password_hash, "the new passphrase")
    assert client.post(f"/account/reset/{token}", data=data).status_code == 400


def test_reset_password_from_stdin_sets_it_and_ends_sessions(cli, sqlite_app):
    _accounts(cli)
    client = sqlite_app.test_client()
    client.post("/login", data={"email": "v@x.vn", "password": PASSWORD})
    assert client.get("/account/password").status_code == 200
    short = cli("users", "reset-password", "v@x.vn", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    done = cli("users", "reset-password", "v@x.vn", "--password-stdin", input="fresh passphrase\n")
    assert done.exit_code == 0, done.output
    assert verify_password(_stored(sqlite_app, "v@x.vn").password_hash, "fresh passphrase")
    assert client.get("/account/password").status_code == 302


def test_unknown_accounts_are_named(cli):
    for command in ("reset-password", "deactivate"):
        result = cli("users", command, "nobody@x.vn")
        assert result.exit_code == 1 and "no account for nobody@x.vn" in result.output


def test_deactivate_stops_sign_in(cli, sqlite_app):
    _accounts(cli)
    assert cli("users", "deactivate", "v@x.vn").exit_code == 0
    assert not _stored(sqlite_app, "v@x.vn").is_active
    assert "v@x.vn\tviewer\t-\tdeactivated\tnever" in cli("users", "list").output
    refused = sqlite_app.test_client().post(
        "/login", data={"email": "v@x.vn", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert "deactivated" in cli("users", "reset-password", "v@x.vn").output
