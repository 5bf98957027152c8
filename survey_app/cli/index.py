"""``parindex index``: the PAR index from files, no database."""

from __future__ import annotations

import click

from aggregation.index import compute_index
from aggregation.inputs import IndexInputs
from aggregation.ranking import DEFAULT_DRAWS, DEFAULT_SEED
from aggregation.report import index_payload
from aggregation.survey import survey_estimates
from survey_app.cli import index_inputs as load
from survey_app.cli.common import write_json

_FILE = click.Path(exists=True, dir_okay=False)


@click.command("index")
@click.option(
    "--criteria-set",
    "criteria_sets",
    type=_FILE,
    multiple=True,
    required=True,
    help="Criteria set YAML; repeat for each unit kind.",
)
@click.option("--questionnaire", type=_FILE, required=True, help="Questionnaire YAML.")
@click.option("--units", type=_FILE, required=True, help="units.csv (code,kind,…).")
@click.option("--self", "self_file", type=_FILE, required=True, help="Self-assessment CSV.")
@click.option("--responses", type=_FILE, required=True, help="Responses CSV.")
@click.option(
    "--frame",
    type=_FILE,
    help="Sampling frame CSV (stratum,population): its populations enter as finite "
    "population corrections, sampling people within each stratum (R: ids = ~1, "
    "fpc = ~population). Without it: the responses' PSUs, with replacement.",
)
@click.option("--bonus-penalty", type=_FILE, help="bonus_penalty.csv (unit,bonus,penalty).")
@click.option("--previous", type=_FILE, help="previous.csv (unit,year,index).")
@click.option("--ministry-index", type=float, help="The ministry's own index (%).")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of the rank-interval simulation.",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1),
    default=DEFAULT_DRAWS,
    show_default=True,
    help="Draws of the rank-interval simulation.",
)
@click.option("--json", "json_out", required=True, help="Output file, or - for stdout.")
def index_command(
    criteria_sets,
    questionnaire,
    units,
    self_file,
    responses,
    frame,
    bonus_penalty,
    previous,
    ministry_index,
    seed,
    draws,
    json_out,
) -> None:
    """The index from criteria sets, questionnaire, self-assessments and responses.

    Output as in FORMATS.md: meta, units[], subcriteria[], summary[].
    """
    scales = load.load_questionnaire(questionnaire)
    answers = load.load_responses(responses, scales)
    population = load.load_frame(frame) if frame else None
    inputs = IndexInputs(
        criteria_sets=tuple(load.load_criteria_set(p) for p in criteria_sets),
        units=load.load_units(units),
        item_scales=scales,
        self_scores=load.load_self_scores(self_file),
        bonus_penalty=load.load_bonus_penalty(bonus_penalty) if bonus_penalty else (),
        previous=load.load_previous(previous) if previous else {},
        ministry_index=ministry_index,
    )
    try:
        survey = survey_estimates(inputs, answers, population)
        result = compute_index(inputs, survey, seed=seed, draws=draws)
    except ValueError as exc:  # IndexInputError, DesignError: bad input, one line
        raise click.ClickException(str(exc)) from exc
    write_json(index_payload(result, inputs), json_out)
