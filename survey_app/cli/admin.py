"""Administration commands: ``db``, ``import``, ``users``."""

from __future__ import annotations

import sys

import click

from survey_app.cli.appcmd import with_app
from survey_app.extensions import db as database
from survey_app.formats.limits import read_path, read_path_text
from survey_app.formats.problems import InvalidFile


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_app
def db_upgrade(revision: str) -> None:
    """Create or migrate the configured database."""
    from flask_migrate import upgrade

    upgrade(revision=revision)
    click.echo(
        f"database at {database.engine.url.render_as_string(hide_password=True)} is up to date"
    )


@click.group("import")
def import_group() -> None:
    """Import criteria sets, questionnaires, units and previous results."""


def _read(path: str) -> str:
    try:
        return read_path_text(path)
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read ({exc})") from None


def _atomic(action) -> str:
    """Run ``action`` in one transaction; on problems roll back and list them all."""
    try:
        message = action()
        database.session.commit()
        return message
    except InvalidFile as exc:
        database.session.rollback()
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None


@import_group.command("criteria-set")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_criteria_set_cmd(path: str) -> None:
    """A criteria set (YAML); its items must be in an imported questionnaire."""
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.questionnaires.operations import known_item_codes

    def action():
        spec = parse_criteria_set(_read(path), path, known_item_codes())
        cs = import_criteria_set(spec, path)
        return (
            f"imported criteria set {cs.code}: {len(spec.subcriteria())} sub-criteria, "
            f"{spec.max_points:g} points"
        )

    click.echo(_atomic(action))


@import_group.command("questionnaire")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_questionnaire_cmd(path: str) -> None:
    """A questionnaire (YAML, or XLSForm .xlsx: see survey_app/formats/xlsform.py)."""
    from survey_app.formats.questionnaire_yaml import parse_questionnaire
    from survey_app.formats.xlsform import parse_xlsform
    from survey_app.questionnaires.operations import import_questionnaire

    if path.lower().endswith(".xls"):
        raise click.ClickException(f"{path}: save the workbook as .xlsx (Excel 2007 or later)")

    def action():
        if path.lower().endswith(".xlsx"):
            spec = parse_xlsform(read_path(path), path)
        else:
            spec = parse_questionnaire(_read(path), path)
        q = import_questionnaire(spec, path)
        for warning in spec.warnings:
            click.echo(f"warning: {warning}", err=True)
        return f"imported questionnaire {q.code}: {len(spec.items())} items\n{spec.summary()}"

    click.echo(_atomic(action))


@import_group.command("units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_units_cmd(path: str) -> None:
    """Units (CSV: code,kind,name_vi,name_en); known codes are updated."""
    from survey_app.formats.units_csv import parse_units
    from survey_app.units.operations import import_units

    def action():
        created, updated = import_units(parse_units(_read(path), path))
        return f"units: {created} created, {updated} updated"

    click.echo(_atomic(action))


@import_group.command("previous")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_previous_cmd(path: str) -> None:
    """Last year's published index (CSV: unit,year,index); a stored unit and year is replaced."""
    from survey_app.formats.previous_csv import parse_previous
    from survey_app.units.operations import import_previous_results
    from survey_app.units.queries import list_unit_codes

    def action():
        n = import_previous_results(parse_previous(_read(path), path, list_unit_codes()))
        return f"previous results: {n} stored"

    click.echo(_atomic(action))


@click.group("users")
def users_group() -> None:
    """User accounts."""


def _stdin_password() -> str:
    """The first line of standard input, long enough (nothing echoed, nothing in ``ps``)."""
    from survey_app.accounts.passwords import MIN_LENGTH

    password = sys.stdin.readline().strip()
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"the password must have at least {MIN_LENGTH} characters")
    return password


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "appraiser", "focal", "viewer"]), required=True)
@click.option("--unit", "unit_code", help="the unit of a focal point")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@with_app
def users_create(email: str, role: str, unit_code: str | None, password_stdin: bool) -> None:
    """Create an account; without --password-stdin a password is generated and printed once."""
    from survey_app.accounts.operations import AccountError, create_user
    from survey_app.accounts.passwords import generate_password

    password = _stdin_password() if password_stdin else None
    try:
        create_user(email, role, password or (generated := generate_password()), unit_code)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    database.session.commit()
    click.echo(f"created {role} {email.lower()}")
    if not password_stdin:
        click.echo(f"password (shown once): {generated}")


def _user_or_fail(email: str):
    from survey_app.accounts.operations import get_user_by_email

    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email.strip().lower()}")
    return user


@users_group.command("list")
@with_app
def users_list() -> None:
    """Every account: e-mail, role, unit, active or not, last sign-in (UTC)."""
    from survey_app.accounts.queries import list_users

    for user in list_users():
        last = user.last_login_at.strftime("%Y-%m-%dT%H:%MZ") if user.last_login_at else "never"
        unit = user.unit.code if user.unit else "-"
        state = "active" if user.is_active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{unit}\t{state}\t{last}")


@users_group.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="set the password read from standard input")
@with_app
def users_reset_password(email: str, password_stdin: bool) -> None:
    """Print a one-time reset link (24 hours, on PARINDEX_BASE_URL); with --password-stdin,
    set the password directly (every session of the account ends)."""
    from survey_app.accounts.operations import set_password
    from survey_app.accounts.resets import issue_reset_link

    user = _user_or_fail(email)
    if not password_stdin:
        if not user.is_active:
            raise click.ClickException(f"{user.email} is deactivated: a link would not work")
        link, _ = issue_reset_link(user, email=False)
        database.session.commit()
        click.echo(f"reset link for {user.email} (works once, for 24 hours): {link}")
        return
    set_password(user, _stdin_password(), "admin")
    database.session.commit()
    click.echo(f"password of {user.email} set; its sessions have ended")


@users_group.command("deactivate")
@click.argument("email")
@with_app
def users_deactivate(email: str) -> None:
    """The account can no longer sign in; its open sessions end now."""
    from survey_app.accounts.operations import deactivate_user

    user = _user_or_fail(email)
    deactivate_user(user)
    database.session.commit()
    click.echo(f"deactivated {user.email}")
