"""``parindex estimate``: design-based estimates from a responses CSV, no database."""

from __future__ import annotations

import click


@click.command()
def estimate() -> None:
    """Design-based estimates from a responses CSV (placeholder; see issue 3)."""
    raise click.ClickException("not implemented yet")
