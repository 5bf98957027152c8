"""The console script, accounts from the command line, and the demo."""

from __future__ import annotations

import re
import stat
from collections import Counter
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from survey_app import create_app
from survey_app.accounts.models import User
from survey_app.accounts.passwords import verify_password
from survey_app.assessments.models import SelfAssessment
from survey_app.assessments.rules import can_explain, is_adjusted
from survey_app.cli import main
from survey_app.core.models import AuditEntry
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.results.queries import get_latest_done_run, get_published_run, list_unit_results
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


ROLE_LINE = re.compile(r"^  (admin|appraiser|focal|viewer) +(\S+@\S+) +(\S+)", re.MULTILINE)


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`parindex demo` twice, the first time on an instance folder that does not exist
    (with the secret key given, nothing else creates the folder first)."""
    instance = tmp_path_factory.mktemp("demo") / "not" / "yet" / "instance"
    env = {
        "PARINDEX_INSTANCE_PATH": str(instance),
        "PARINDEX_SECRET_KEY": "s" * 40,
        "PARINDEX_DATABASE_URL": None,
        "PARINDEX_BROKER_URL": None,
    }
    first = CliRunner().invoke(main, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'parindex.sqlite'}",
            "SECRET_KEY": "s" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )
    before = _row_counts(app)
    second = CliRunner().invoke(main, ["demo"], env=env)
    after = _row_counts(app)  # now: the tests below sign in, which the audit log records
    yield SimpleNamespace(
        instance=instance, app=app, first=first, second=second, before=before, after=after
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _round(name: str) -> Round:
    return db.session.scalar(select(Round).where(Round.name == name))


def test_demo_creates_a_missing_instance_folder_private_to_its_owner(demo):
    assert demo.instance.is_dir()
    assert stat.S_IMODE(demo.instance.stat().st_mode) & 0o077 == 0
    assert (demo.instance / "parindex.sqlite").is_file()
    assert (demo.instance / "demo_links.csv").is_file()


def test_demo_prints_an_account_for_every_role_and_each_password_signs_in(demo):
    accounts = ROLE_LINE.findall(demo.first.output)
    assert sorted(role for role, _, _ in accounts) == [
        "admin",
        "appraiser",
        "focal",
        "focal",
        "viewer",
    ]
    with demo.app.app_context():
        units = {
            u.email: u.unit.code for u in db.session.scalars(select(User)) if u.unit is not None
        }
    assert sorted(units.values()) == ["C06", "V03"]
    for _role, email, password in accounts:
        client = demo.app.test_client()
        signed_in = client.post("/login", data={"email": email, "password": password})
        assert signed_in.status_code == 302, email
        assert email in client.get("/").text


def test_demo_has_self_assessments_in_every_state_of_the_workflow(demo):
    with demo.app.app_context():
        rnd = _round("Điều tra xã hội học CCHC 2018 (demo)")
        rows = list(
            db.session.scalars(select(SelfAssessment).where(SelfAssessment.round_id == rnd.id))
        )
        states = Counter(sa.state for sa in rows)
        assert states == {
            "final": 408,
            "submitted": 48,
            "appraised": 23,
            "explained": 1,
            "draft": 16,
        }
        by_unit: dict[str, Counter] = {}
        for sa in rows:
            by_unit.setdefault(sa.unit.code, Counter())[sa.state] += 1
        assert by_unit["C08"] == by_unit["V07"] == {"submitted": 24}
        assert by_unit["V03"] == {"draft": 16}  # eight sub-criteria still to enter
        # C06, a demo focal point's unit: round 1 lowered four scores, one is explained
        c06 = [sa for sa in rows if sa.unit.code == "C06"]
        lowered = [sa for sa in c06 if is_adjusted(sa)]
        assert len(lowered) == 4 and sum(can_explain(sa) for sa in lowered) == 4
        assert [len(sa.explanations) for sa in lowered].count(1) == 1
        assert all(sa.note for sa in rows if sa.unit.code in ("C08", "V07", "C06"))
        files = [ev for sa in c06 for ev in sa.evidence]
        assert len(files) == 3
        assert all((demo.instance / "evidence" / ev.stored_name).is_file() for ev in files)
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "assessment.appraise",
                    AuditEntry.actor == "appraiser@parindex.local",
                )
            )
            == 24
        )


def test_last_years_round_is_published_and_gives_the_change_column(demo):
    with demo.app.app_context():
        last = _round("Điều tra xã hội học CCHC 2017 (demo)")
        this = _round("Điều tra xã hội học CCHC 2018 (demo)")
        assert (last.state, this.state) == ("published", "open")
        published = get_published_run(last.id)
        assert published.is_final and published.state == "done"
        assert db.session.scalar(select(func.count()).select_from(Response)) == 2 * 520
        run = get_latest_done_run(this.id)
        assert run is not None and not run.is_final and run.version == 1
        last_index = {u.code: r.index_value for r, u in list_unit_results(published)}
        this_index = {u.code: r for r, u in list_unit_results(run)}
        assert len(this_index) == 21
        c01 = this_index["C01"]
        assert c01.data["previous_index"] == round(last_index["C01"], 2)
        assert c01.data["change"] == pytest.approx(c01.index_value - round(last_index["C01"], 2))
        assert sum(last_index.values()) < sum(r.index_value for r in this_index.values())


def test_the_results_page_opens_with_this_years_index(demo):
    client = demo.app.test_client()
    with demo.app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        ident = (admin.id, admin.session_version)
        run = get_latest_done_run(_round("Điều tra xã hội học CCHC 2018 (demo)").id)
        c06 = next(r for r, u in list_unit_results(run) if u.code == "C06")
    with client.session_transaction() as session:
        session["user_id"], session["user_version"] = ident
    page = client.get("/results/2")
    assert page.status_code == 200
    assert "Cục Tin học hóa" in page.text
    assert f"{c06.index_value:.2f}".replace(".", ",") in page.text
    assert "chưa thẩm định" in page.text.lower() or "not appraised" in page.text
    home = demo.app.test_client().get("/")
    assert "Điều tra xã hội học CCHC 2018 (demo)" in home.text
    english = demo.app.test_client().get("/?lang=en")
    assert "Survey rounds" in english.text and 'lang="en"' in english.text


def test_a_second_demo_changes_nothing_and_says_what_exists(demo):
    assert demo.second.exit_code == 0, demo.second.output
    assert demo.after == demo.before
    output = demo.second.output
    assert "nothing changed" in output
    assert [p for _, _, p in ROLE_LINE.findall(output)] == ["(already"] * 5
    assert "published" in output and "provisional run 1" in output


def test_an_older_demo_gets_the_missing_accounts_and_a_first_run(cli, sqlite_app):
    """A database loaded by the plain demo (one round, no run) is completed, not reloaded."""
    from survey_app.demo.loader import load_demo

    with sqlite_app.app_context():
        load_demo("admin@parindex.local")
        db.session.commit()
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert "what was missing was added" in result.output
    passwords = {role: p for role, _, p in ROLE_LINE.findall(result.output)}
    assert passwords["admin"] == "(already" and len(passwords["viewer"]) == 20
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1
        assert get_latest_done_run(1) is not None
