"""The ``parindex`` console script: one click group, commands registered per module."""

from __future__ import annotations

import click

from survey_app.cli import admin, aggregate, assessments, estimate, index, results, rounds, runtime


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parindex")
def main() -> None:
    """ParIndex: PAR index surveys, appraisal and design-based aggregation."""


main.add_command(estimate.estimate)
main.add_command(index.index_command)
main.add_command(admin.db_group)
main.add_command(admin.import_group)
main.add_command(admin.users_group)
main.add_command(rounds.rounds_group)
rounds.rounds_group.add_command(assessments.import_self_cmd)
rounds.rounds_group.add_command(aggregate.aggregate)
rounds.rounds_group.add_command(results.export_cmd)
main.add_command(runtime.serve)
main.add_command(runtime.worker_cmd)
main.add_command(runtime.demo)


if __name__ == "__main__":  # pragma: no cover
    main()
