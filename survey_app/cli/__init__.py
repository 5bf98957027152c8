"""The ``parindex`` console script: one click group, commands registered per module."""

from __future__ import annotations

import importlib

import click

from survey_app.cli import admin, aggregate, assessments, results, rounds, runtime

#: Commands whose modules import the statistics (numpy, scipy, pyarrow: a second or more),
#: loaded only when called or listed, so that the other commands start quickly.
_LAZY = {
    "estimate": "survey_app.cli.estimate:estimate",
    "index": "survey_app.cli.index:index_command",
}


class _Commands(click.Group):
    """A click group that imports the modules of :data:`_LAZY` commands on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY and name not in self.commands:
            module, attribute = _LAZY[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parindex")
def main() -> None:
    """ParIndex: PAR index surveys, appraisal and design-based aggregation."""


main.add_command(admin.db_group)
main.add_command(admin.import_group)
main.add_command(admin.users_group)
main.add_command(rounds.rounds_group)
rounds.rounds_group.add_command(assessments.import_self_cmd)
rounds.rounds_group.add_command(aggregate.aggregate)
rounds.rounds_group.add_command(results.export_cmd)
main.add_command(runtime.serve)
main.add_command(runtime.worker_cmd)
main.add_command(runtime.status_cmd)
main.add_command(assessments.sweep_evidence_cmd)
main.add_command(runtime.demo)


if __name__ == "__main__":  # pragma: no cover
    main()
