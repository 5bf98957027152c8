"""The ``parindex`` console script: one click group, commands registered per module."""

from __future__ import annotations

import importlib

import click

#: Every command, imported when called or listed: the statistics commands (numpy, scipy,
#: pyarrow) must not load Flask and SQLAlchemy, nor the others the statistics.
_LAZY = {
    "db": "survey_app.cli.admin:db_group",
    "import": "survey_app.cli.admin:import_group",
    "users": "survey_app.cli.admin:users_group",
    "rounds": "survey_app.cli.rounds:rounds_group",
    "serve": "survey_app.cli.runtime:serve",
    "worker": "survey_app.cli.runtime:worker_cmd",
    "status": "survey_app.cli.runtime:status_cmd",
    "sweep-evidence": "survey_app.cli.assessments:sweep_evidence_cmd",
    "demo": "survey_app.cli.runtime:demo",
    "estimate": "survey_app.cli.estimate:estimate",
    "index": "survey_app.cli.index:index_command",
}


def _rounds_group() -> click.Group:
    """``rounds`` with the commands that live in other modules."""
    from survey_app.cli import aggregate, assessments, results, rounds

    group = rounds.rounds_group
    for command in (assessments.import_self_cmd, aggregate.aggregate, results.export_cmd):
        group.add_command(command)
    return group


class _Commands(click.Group):
    """A click group that imports the module of a command on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY and name not in self.commands:
            if name == "rounds":
                command = _rounds_group()
            else:
                module, attribute = _LAZY[name].split(":")
                command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, name)
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parindex")
def main() -> None:
    """ParIndex: PAR index surveys, appraisal and design-based aggregation."""


if __name__ == "__main__":  # pragma: no cover
    main()
