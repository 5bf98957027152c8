"""The console script, accounts from the command line, and the demo."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.accounts.passwords import verify_password
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.rounds.models import Round


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("estimate", "index", "db", "import", "users", "serve", "worker", "demo"):
        assert command in result.output


def test_users_create_prints_a_password_that_verifies(cli, sqlite_app):
    result = cli("users", "create", "Admin@Example.gov.vn", "--role", "admin")
    assert result.exit_code == 0, result.output
    password = result.output.split("shown once): ")[1].strip()
    with sqlite_app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "admin@example.gov.vn"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, password)


def test_focal_point_needs_a_known_unit(cli):
    result = cli("users", "create", "f@x.vn", "--role", "focal")
    assert result.exit_code == 1
    assert "needs --unit" in result.output
    result = cli("users", "create", "f@x.vn", "--role", "focal", "--unit", "NOPE")
    assert "unknown unit 'NOPE'" in result.output


def test_demo_loads_once_and_the_home_page_lists_its_round(cli, sqlite_app):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "admin password (shown once)" in first.output
    second = cli("demo")
    assert second.exit_code == 0, second.output
    assert "password (shown once)" not in second.output
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1
        assert db.session.scalar(select(func.count()).select_from(Response)) == 520
        rnd = db.session.scalar(select(Round))
        assert rnd.state == "open" and len(rnd.units) == 21
    page = sqlite_app.test_client().get("/")
    assert page.status_code == 200
    assert "Điều tra xã hội học CCHC 2018 (demo)" in page.text
    english = sqlite_app.test_client().get("/?lang=en")
    assert "Survey rounds" in english.text and 'lang="en"' in english.text
