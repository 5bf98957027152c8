"""Last year's round: published, so this year's ranking has a change column.

Its responses and scores are this year's, derived with a fixed seed and a little lower on
average (the ministry improved); the figures are computed and published like any round's.
The published index of each unit then becomes its "previous result", which is what this
year's run compares with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from survey_app.assessments.operations import import_self_assessments
from survey_app.core.db import utcnow
from survey_app.demo.loader import create_open_round, demo_responses, demo_self_rows
from survey_app.extensions import db
from survey_app.formats.responses_csv import ResponseRow
from survey_app.formats.self_csv import SelfRow
from survey_app.responses.operations import import_responses
from survey_app.results.models import AggregationRun
from survey_app.results.queries import list_unit_results
from survey_app.rounds.models import Round
from survey_app.rounds.operations import close_round
from survey_app.units.operations import set_previous_result

LAST_YEAR = 2017
LAST_ROUND_NAME = "Điều tra xã hội học CCHC 2017 (demo)"
SEED = 2017
#: answer levels of the 4-point scale (9, "don't know", is kept as it is)
LOWEST, HIGHEST = 1, 4


def load_last_year() -> Round:
    """Last year's round with its responses and appraised scores, closed (not yet
    published: publishing needs its final run, which the caller computes)."""
    rnd = create_open_round(LAST_ROUND_NAME, LAST_YEAR, opens_at=utcnow() - dt.timedelta(days=365))
    rng = random.Random(SEED)
    import_responses(rnd, [_lower_answers(row, rng) for row in demo_responses(rnd)])
    import_self_assessments(rnd, [_lower_scores(row, rng) for row in demo_self_rows(rnd)])
    close_round(rnd)
    db.session.flush()
    return rnd


def _lower_answers(row: ResponseRow, rng: random.Random) -> ResponseRow:
    """About one answer in five a level lower, one in thirty a level higher."""
    answers = {}
    for item, value in row.answers.items():
        draw = rng.random()
        if LOWEST < value <= HIGHEST and draw < 0.2:
            value -= 1
        elif LOWEST <= value < HIGHEST and draw > 0.97:
            value += 1
        answers[item] = value
    return dataclasses.replace(row, answers=answers)


def _lower_scores(row: SelfRow, rng: random.Random) -> SelfRow:
    """The unit scored itself up to 0.3 lower; the council up to 0.2 lower again."""
    own = round(max(0.0, row.self_points - rng.choice((0, 0, 0.1, 0.2, 0.3))), 2)
    appraised = row.appraised_points if row.appraised_points is not None else row.self_points
    appraised = round(max(0.0, min(own, appraised - rng.choice((0, 0.05, 0.1, 0.2)))), 2)
    return dataclasses.replace(row, self_points=own, appraised_points=appraised)


def record_previous_results(run: AggregationRun) -> int:
    """Each unit's published index (two decimals, as published) as last year's result."""
    results = list_unit_results(run)
    for result, unit in results:
        set_previous_result(unit, LAST_YEAR, round(result.index_value, 2))
    db.session.flush()
    return len(results)
