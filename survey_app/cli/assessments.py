"""``parindex rounds import-self``: a round's self-assessments (and bonus/penalty) from files."""

from __future__ import annotations

from pathlib import Path

import click

from survey_app.cli.admin import _atomic
from survey_app.cli.appcmd import with_app


def _text(path: str) -> str:
    """CSV text of a CSV or XLSX file (an unreadable file is a listed problem)."""
    from survey_app.assessments.transfer import upload_text
    from survey_app.formats.limits import read_path

    return upload_text(path, read_path(path))


@click.command("import-self")
@click.argument("round_id", metavar="ROUND", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--bonus-penalty",
    "bonus_path",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV unit,bonus,penalty",
)
@with_app
def import_self_cmd(round_id: int, path: str, bonus_path: str | None) -> None:
    """Self scores (CSV or XLSX: unit,subcriterion,self_points,appraised_points,note).

    Both files are checked first; with any problem nothing is imported.
    """
    from survey_app.assessments.appraisals import import_bonus_penalties
    from survey_app.assessments.operations import import_self_assessments, self_maxima
    from survey_app.core.transactions import without_transaction
    from survey_app.extensions import db
    from survey_app.formats.bonus_csv import parse_bonus_penalty
    from survey_app.formats.self_csv import parse_self_assessment
    from survey_app.rounds.models import Round

    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise click.ClickException(f"round {round_id} does not exist")
    if rnd.state == "published":
        raise click.ClickException(f"round {round_id} is published; its scores no longer change")

    def parse(maxima, caps):
        rows = parse_self_assessment(_text(path), path, maxima)
        bonus = parse_bonus_penalty(_text(bonus_path), bonus_path, caps) if bonus_path else []
        return rows, bonus

    def action() -> str:
        # the files are read with no write lock held (core/transactions.py)
        rows, bonus = without_transaction(parse, self_maxima(rnd), _caps(rnd))
        n = import_self_assessments(rnd, rows)
        b = import_bonus_penalties(rnd, bonus, Path(bonus_path).name) if bonus_path else 0
        return f"round {rnd.id}: {n} self-assessed scores" + (
            f", {b} bonus/penalty rows" if bonus_path else ""
        )

    click.echo(_atomic(action))


def _caps(rnd) -> dict[str, tuple[float | None, float | None]]:
    sets = {cs.unit_kind_id: cs for cs in rnd.criteria_sets}
    return {
        u.code: (sets[u.kind_id].bonus_cap, sets[u.kind_id].penalty_cap)
        for u in rnd.units
        if u.kind_id in sets
    }


@click.command("sweep-evidence")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=None,
    help="seconds a file without a row is kept (default PARINDEX_ORPHAN_GRACE_SECONDS, 3600)",
)
@with_app
def sweep_evidence_cmd(grace: int | None) -> None:
    """Remove evidence files that no row names (left by a crash), older than the grace
    period. The worker's scheduler runs this every hour."""
    from survey_app.assessments.evidence import sweep_evidence

    click.echo(f"{sweep_evidence(grace)} orphan files removed")
