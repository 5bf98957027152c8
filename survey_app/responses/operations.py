"""Storing responses that arrive as files (paper, partner tools)."""

from __future__ import annotations

import datetime as dt

from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.formats.responses_csv import QuestionnaireRules, ResponseRow
from survey_app.questionnaires.models import EVERY_GROUP
from survey_app.questionnaires.queries import list_respondent_groups
from survey_app.responses.models import Response
from survey_app.rounds.models import Round


def questionnaire_rules(rnd: Round) -> QuestionnaireRules:
    """What a response to ``rnd`` may contain."""
    # a response file carries the items answered with one value from a list
    items = [i for i in rnd.questionnaire.items() if i.kind in ("scale", "choice")]
    every = list_respondent_groups(rnd)
    return QuestionnaireRules(
        units={u.code for u in rnd.units},
        item_groups={
            i.code: every if EVERY_GROUP in i.group_codes else set(i.group_codes) for i in items
        },
        item_values={i.code: {lv.value for lv in i.scale.levels} for i in items},
    )


def import_responses(rnd: Round, rows: list[ResponseRow], channel: str = "import") -> int:
    """Store validated rows as anonymous responses (new random ids; file ids are not kept).

    As with invitations, only the round's weighting variables (its population margins)
    are kept of the file's further columns; any other column is not stored.
    """
    units = {u.code: u.id for u in rnd.units}
    weighting = {m.variable for m in rnd.margins}
    today = dt.date.today()
    for row in rows:
        db.session.add(
            Response(
                round_id=rnd.id,
                unit_id=units[row.unit],
                group_code=row.group,
                stratum=row.stratum,
                psu=row.psu,
                attributes={k: v for k, v in row.attributes.items() if k in weighting},
                submitted_on=today,
                channel=channel,
                answers=dict(sorted(row.answers.items())),
            )
        )
    db.session.flush()
    log_change(
        "responses.import",
        "round",
        rnd.id,
        round_id=rnd.id,
        new={"responses": len(rows), "channel": channel},
    )
    return len(rows)
