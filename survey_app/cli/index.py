"""``parindex index``: the PAR index from files, no database."""

from __future__ import annotations

import click


@click.command("index")
def index_command() -> None:
    """The index from criteria sets, questionnaire, self-assessments and responses (issue 6)."""
    raise click.ClickException("not implemented yet")
