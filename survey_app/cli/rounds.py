"""``parindex rounds …``: create, open, invite, links, revoke, remind, import-responses,
progress, close, reopen, extend, unpublish, open-link (FORMATS.md "Commands")."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask import current_app

from survey_app.cli.appcmd import with_app
from survey_app.cli.common import write_json
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.limits import read_path, read_path_text
from survey_app.formats.problems import InvalidFile


@click.group("rounds")
def rounds_group() -> None:
    """Survey rounds: invitations, links, responses, progress."""


def _round(round_id: int):
    from survey_app.rounds.queries import find_round

    rnd = find_round(round_id)
    if rnd is None:
        raise click.ClickException(f"no round {round_id}")
    return rnd


def _when(value: str | None, option: str) -> dt.datetime | None:
    """ISO 8601; without an offset the time is taken as UTC."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{option}: not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _commit_or_report(action):
    """Run ``action``; on file problems or refusals roll back and say why, non-zero."""
    from survey_app.invitations.operations import InvitationError
    from survey_app.openlinks.operations import OpenLinkError
    from survey_app.results.operations import ResultsError
    from survey_app.rounds.operations import RoundError

    try:
        result = action()
        db.session.commit()
        return result
    except InvalidFile as exc:
        db.session.rollback()
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
    except (RoundError, InvitationError, OpenLinkError, ResultsError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None


def _write_private(path: str, text: str) -> None:
    """Links are credentials: the file is readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


@rounds_group.command("create")
@click.option("--name", required=True)
@click.option("--criteria-set", "criteria_sets", multiple=True, required=True)
@click.option("--questionnaire", required=True)
@click.option("--opens", help="ISO 8601 (UTC unless an offset is given); open now if past")
@click.option("--closes", help="ISO 8601; the round closes itself then")
@click.option("--frame", type=click.Path(exists=True, dir_okay=False), help="stratum,population")
@click.option(
    "--margins",
    type=click.Path(exists=True, dir_okay=False),
    help="variable,level,count: population counts to rake to; their variables are the only "
    "extra respondent-list columns copied into responses",
)
@with_app
def create_cmd(name, criteria_sets, questionnaire, opens, closes, frame, margins) -> None:
    """Create a round; prints its id. It is open once --opens has passed."""
    from survey_app.core.db import utcnow
    from survey_app.formats.frame_csv import parse_frame
    from survey_app.formats.margins_csv import parse_margins
    from survey_app.rounds.operations import create_round, open_round

    opens_at, closes_at = _when(opens, "--opens"), _when(closes, "--closes")

    def action():
        strata = parse_frame(read_path_text(frame), frame) if frame else None
        targets = parse_margins(read_path_text(margins), margins) if margins else None
        rnd = create_round(
            name, list(criteria_sets), questionnaire, opens_at, closes_at, strata, targets
        )
        if opens_at is not None and opens_at <= utcnow():
            open_round(rnd)
        return rnd.id

    click.echo(_commit_or_report(action))


@rounds_group.command("open")
@click.argument("round_id", type=int)
@with_app
def open_cmd(round_id: int) -> None:
    """Open a draft round now (its questionnaire and criteria are then frozen)."""
    from survey_app.rounds.operations import open_round

    _commit_or_report(lambda: open_round(_round(round_id)))
    click.echo(f"round {round_id} is open")


@rounds_group.command("close")
@click.argument("round_id", type=int)
@with_app
def close_cmd(round_id: int) -> None:
    """Close an open round: its links stop working."""
    from survey_app.rounds.operations import close_round

    _commit_or_report(lambda: close_round(_round(round_id)))
    click.echo(f"round {round_id} is closed")


@rounds_group.command("reopen")
@click.argument("round_id", type=int)
@click.option("--closes", required=True, help="new closing time, ISO 8601 (UTC unless offset)")
@with_app
def reopen_cmd(round_id: int, closes: str) -> None:
    """Reopen a closed, unpublished round until --closes: people who have not answered can
    answer again with the links they have."""
    from survey_app.rounds.operations import reopen_round

    closes_at = _when(closes, "--closes")
    _commit_or_report(lambda: reopen_round(_round(round_id), closes_at))
    click.echo(f"round {round_id} is open until {closes_at.isoformat()}")


@rounds_group.command("extend")
@click.argument("round_id", type=int)
@click.option("--closes", required=True, help="later closing time, ISO 8601 (UTC unless offset)")
@with_app
def extend_cmd(round_id: int, closes: str) -> None:
    """Move an open round's closing time later."""
    from survey_app.rounds.operations import extend_round

    closes_at = _when(closes, "--closes")
    _commit_or_report(lambda: extend_round(_round(round_id), closes_at))
    click.echo(f"round {round_id} now closes at {closes_at.isoformat()}")


@rounds_group.command("unpublish")
@click.argument("round_id", type=int)
@click.option("--reason", required=True, help="why; kept in the round's history")
@with_app
def unpublish_cmd(round_id: int, reason: str) -> None:
    """Withdraw a round's publication: its figures are no longer public, the round is
    closed again and its scores may change."""
    from survey_app.results.operations import unpublish_round

    run = _commit_or_report(lambda: unpublish_round(_round(round_id), reason))
    click.echo(f"round {round_id}: publication of run v{run.version} withdrawn; round is closed")


@rounds_group.command("invite")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--send", is_flag=True, help="e-mail the links now")
@click.option(
    "--links", "links_out", type=click.Path(dir_okay=False), help="write email,name,group,unit,link"
)
@with_app
def invite_cmd(round_id: int, path: str, send: bool, links_out: str | None) -> None:
    """Create invitations from a respondent list (CSV or XLSX); a bad row rejects it all."""
    from survey_app.formats.respondents import coarsening_notes, parse_respondents
    from survey_app.invitations.operations import create_invitations, list_rules

    rnd = _round(round_id)
    notes: list[str] = []

    def action():
        rules = list_rules(rnd)  # then the file is read with no write lock held
        listing = without_transaction(parse_respondents, read_path(path), path, rules)
        notes.extend(str(note) for note in coarsening_notes(listing))
        return create_invitations(rnd, listing)

    issued = _commit_or_report(action)
    click.echo(f"round {round_id}: {len(issued)} invitations created")
    for note in [*notes, *_small_group_notes(rnd)]:
        click.echo(note)
    _links_and_mail(rnd, issued, send, links_out)


def _small_group_notes(rnd) -> list[str]:
    from survey_app.invitations.operations import list_small_groups, min_cell_size

    small = list_small_groups(rnd)
    if not small:
        return []
    cells = "; ".join(f"{u}/{g}: {n}" for u, g, n in small)
    return [
        f"fewer than {min_cell_size()} people invited in: {cells} "
        "(whoever answers there can be recognised by anyone who knows who was invited)"
    ]


def _links_and_mail(rnd, issued, send: bool, links_out: str | None) -> None:
    from survey_app.formats.links_csv import links_csv
    from survey_app.invitations.operations import links_rows
    from survey_app.invitations.sending import deliver

    if links_out:
        _write_private(links_out, links_csv(links_rows(issued, current_app.config["BASE_URL"])))
        click.echo(f"links written to {links_out}")
    if send:
        if rnd.state != "open":
            raise click.ClickException(f"round {rnd.id} is {rnd.state}: open it before sending")
        _report_mail(deliver(rnd, issued), "invitations")


@rounds_group.command("links")
@click.argument("round_id", type=int)
@click.option("--csv", "out", required=True, type=click.Path(dir_okay=False))
@with_app
def links_cmd(round_id: int, out: str) -> None:
    """Re-issue links of unanswered invitations (their old links stop working)."""
    from survey_app.invitations.operations import reissue_round_links

    rnd = _round(round_id)
    issued = _commit_or_report(lambda: reissue_round_links(rnd))
    _links_and_mail(rnd, issued, False, out)


@rounds_group.command("revoke")
@click.argument("round_id", type=int)
@click.option("--email", help="the invited person's e-mail address")
@click.option("--link", help="their link, as in a links file (or its token alone)")
@with_app
def revoke_cmd(round_id: int, email: str | None, link: str | None) -> None:
    """Withdraw one person's link (a wrong address, someone who left the unit): it then
    shows a "withdrawn" page, and no reminder goes to them. An answered one cannot be."""
    from survey_app.invitations.operations import find_invitation, revoke_invitation

    if (email is None) == (link is None):
        raise click.UsageError("give either --email or --link")
    rnd = _round(round_id)
    inv = find_invitation(rnd, email=email, link=link)
    if inv is None:
        what = "that address" if email is not None else "that link (re-issued since?)"
        raise click.ClickException(f"round {round_id} has no invitation with {what}")
    if inv.is_revoked:
        click.echo("already withdrawn")
        return
    _commit_or_report(lambda: revoke_invitation(inv))
    click.echo("withdrawn")


@rounds_group.command("send")
@click.argument("round_id", type=int)
@with_app
def send_cmd(round_id: int) -> None:
    """E-mail a fresh link to everyone with an address not yet sent one (exit status 1,
    with "N of M mails failed: reason", when any failed; the worker retries them)."""
    from survey_app.invitations.sending import send_invitations

    _report_mail(send_invitations(_round(round_id)), "invitations")


@rounds_group.command("remind")
@click.argument("round_id", type=int)
@with_app
def remind_cmd(round_id: int) -> None:
    """E-mail a reminder (with a new link) to everyone invited who has not answered.

    A link changes only when the mail carrying the new one is accepted; mails that fail
    are retried by the worker. Exit status 1, with "N of M mails failed: reason", when
    any failed."""
    from survey_app.invitations.sending import send_reminders

    _report_mail(send_reminders(_round(round_id)), "reminders")


def _report_mail(result, what: str) -> None:
    """The count sent; with failures, one line "N of M mails failed: reason" and status 1."""
    click.echo(f"{result.sent} {what} e-mailed")
    if result.failed:
        click.echo(result.summary() + " (the worker retries them)", err=True)
        raise SystemExit(1)


@rounds_group.command("import-responses")
@click.argument("round_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_responses_cmd(round_id: int, path: str) -> None:
    """Responses from paper or another tool (responses CSV); a bad row rejects the file."""
    from survey_app.formats.responses_csv import parse_responses
    from survey_app.responses.operations import import_responses, questionnaire_rules

    rnd = _round(round_id)
    if rnd.state != "open":
        raise click.ClickException(f"round {round_id} is {rnd.state}: import while it is open")

    def action():
        rules = questionnaire_rules(rnd)  # then the file is read with no write lock held
        text = read_path_text(path)
        return import_responses(rnd, without_transaction(parse_responses, text, path, rules))

    n = _commit_or_report(action)
    click.echo(f"round {round_id}: {n} responses imported")


@rounds_group.command("progress")
@click.argument("round_id", type=int)
@click.option("--json", "json_out", help="write JSON to FILE (- for stdout)")
@with_app
def progress_cmd(round_id: int, json_out: str | None) -> None:
    """Per unit × group: invited, responded, rate (and responses from other channels)."""
    from survey_app.rounds.queries import get_progress, progress_totals

    rnd = _round(round_id)
    rows = get_progress(rnd)
    if json_out:
        payload = {
            "round": rnd.id,
            "state": rnd.state,
            "rows": [r.as_dict() for r in rows],
            "totals": progress_totals(rows),
        }
        write_json(payload, json_out)
        return
    click.echo(
        f"{'unit':<8} {'group':<12} {'invited':>8} {'responded':>9} {'rate':>6} {'other':>6}"
    )
    for r in rows:
        rate = f"{r.rate:.0%}" if r.rate is not None else "—"
        click.echo(
            f"{r.unit:<8} {r.group:<12} {r.invited:>8} {r.responded:>9} {rate:>6} "
            f"{r.other_channels:>6}"
        )


@rounds_group.command("open-link")
@click.argument("round_id", type=int)
@click.option("--unit", "unit_code", required=True)
@click.option("--group", required=True)
@click.option("--stratum", help="default UNIT-GROUP")
@with_app
def open_link_cmd(round_id: int, unit_code: str, group: str, stratum: str | None) -> None:
    """Make a shared link for one unit and group (weaker than invitations); prints it."""
    from survey_app.openlinks.operations import create_open_link

    rnd = _round(round_id)
    _link, token = _commit_or_report(lambda: create_open_link(rnd, unit_code, group, stratum))
    click.echo(f"{current_app.config['BASE_URL']}/o/{token}")


@rounds_group.command("advance")
@with_app
def advance_cmd() -> None:
    """Open rounds whose opening time has passed, close those past their closing time."""
    from survey_app.rounds.operations import advance_due_rounds

    for round_id, state in _commit_or_report(advance_due_rounds):
        click.echo(f"round {round_id} is {state}")
