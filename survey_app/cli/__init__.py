"""The ``parindex`` console script: one click group, commands registered per module."""

from __future__ import annotations

import click

from survey_app.cli import estimate, index


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parindex")
def main() -> None:
    """ParIndex: PAR index surveys, appraisal and design-based aggregation."""


main.add_command(estimate.estimate)
main.add_command(index.index_command)


if __name__ == "__main__":  # pragma: no cover
    main()
