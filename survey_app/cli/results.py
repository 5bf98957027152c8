"""``parindex rounds export``: a round's anonymised microdata as CSV, XLSX, SPSS or Stata."""

from __future__ import annotations

from pathlib import Path

import click

from survey_app.cli.appcmd import make_app


@click.command("export")
@click.argument("round_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "sav", "dta"]),
    required=True,
    help="CSV (FORMATS.md responses layout), XLSX, SPSS .sav or Stata .dta",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="language of variable and value labels",
)
def export_cmd(round_id: int, out: Path, fmt: str, lang: str) -> None:
    """Write ROUND's responses (weights, design variables, labels) to OUT."""
    from survey_app.extensions import db
    from survey_app.results.exports.microdata import ExportError, load_microdata
    from survey_app.results.exports.microdata_files import microdata_bytes
    from survey_app.rounds.models import Round

    with make_app().app_context():
        rnd = db.session.get(Round, round_id)
        if rnd is None:
            raise click.ClickException(f"no round {round_id}")
        try:
            data = load_microdata(rnd, lang)
        except ExportError as exc:
            raise click.ClickException(str(exc)) from None
        out.write_bytes(microdata_bytes(data, fmt))
        click.echo(f"{len(data.frame)} responses written to {out}", err=True)
