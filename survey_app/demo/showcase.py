"""``parindex demo``: a ministry part-way through its year, ready to try every page.

* accounts for every role (admin, appraiser, two focal points, viewer);
* last year's round, computed and published: its index is this year's change column;
* this year's round, open, with responses and invitations, and self-assessments in every
  state of the appraisal workflow (``workflow.py``);
* a first (provisional) run of this year's round, so the results page opens with an index.

The index reads the scores as they are when a run starts: appraised points where there
are some, else the unit's own points (flagged "not appraised"), else nothing (flagged
"missing"). This year's run is therefore computed last, after the workflow states exist,
and shows those flags where the appraisal is not finished; closing the round and
computing a final run later is the admin's to try.

A second run changes nothing and prints what is there. Runs are computed by ``compute``
(the CLI passes the worker's in-process pipeline: the web app does not import it).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select

from survey_app.assessments.models import SelfAssessment
from survey_app.assessments.queries import list_state_counts
from survey_app.demo.accounts import demo_accounts, ensure_accounts
from survey_app.demo.last_year import (
    LAST_ROUND_NAME,
    LAST_YEAR,
    load_last_year,
    record_previous_results,
)
from survey_app.demo.loader import (
    ROUND_NAME,
    _text,
    create_open_round,
    demo_responses,
    find_round,
    invite,
    links_path,
    load_catalogues,
)
from survey_app.demo.workflow import load_workflow
from survey_app.extensions import db
from survey_app.formats.units_csv import parse_units
from survey_app.responses.models import Response
from survey_app.responses.operations import import_responses
from survey_app.results.models import AggregationRun
from survey_app.results.operations import publish_run
from survey_app.results.queries import get_latest_done_run, get_published_run
from survey_app.rounds.models import Round
from survey_app.units.operations import import_units

#: (round id, is_final) → the finished run (or the earlier run with the same inputs)
ComputeRun = Callable[[int, bool], AggregationRun]
STATES = ("draft", "submitted", "appraised", "explained", "final")


def load_showcase(admin_email: str, compute: ComputeRun) -> list[str]:
    """Load what is missing, compute what is not computed; returns the lines to print."""
    fresh = find_round(ROUND_NAME) is None  # an empty database: load everything
    if fresh:
        load_catalogues()
        load_catalogues(LAST_YEAR)
        import_units(parse_units(_text("units.csv"), "units.csv"))
    users, accounts, created = ensure_accounts(demo_accounts(admin_email))
    links = None
    if fresh:
        load_last_year()
        rnd = create_open_round(ROUND_NAME)
        import_responses(rnd, demo_responses(rnd))
        load_workflow(rnd, users)
        links = invite(rnd)
    db.session.commit()
    last, this = find_round(LAST_ROUND_NAME), find_round(ROUND_NAME)
    completed = bool(created)
    if last is not None and last.state == "closed":
        _publish(last, compute)
        completed = True
    if this is not None and get_latest_done_run(this.id) is None:
        compute(this.id, False)
        completed = True
    db.session.expire_all()
    if fresh:
        head = "Demo loaded:"
    elif completed:
        head = "Demo already loaded; what was missing was added:"
    else:
        head = "Demo already loaded (nothing changed):"
    return [head, *accounts, *_describe(last, this, links)]


def _publish(rnd: Round, compute: ComputeRun) -> None:
    """Last year's final run, published, and its index recorded as each unit's previous
    result (the change column of this year's ranking)."""
    run = compute(rnd.id, True)
    rnd = db.session.get(Round, rnd.id)
    publish_run(rnd, db.session.get(AggregationRun, run.id))
    record_previous_results(run)
    db.session.commit()


def _describe(last: Round | None, this: Round | None, links: str | None) -> list[str]:
    base = current_app.config["BASE_URL"]
    lines = []
    if last is not None:
        run = get_published_run(last.id)
        what = f"published (run {run.version})" if run else last.state
        lines.append(
            f"Last year: {last.name}: {what}, {_responses(last)} responses, "
            f"results at {base}/results/{last.id}"
        )
    if this is None:
        return lines
    run = get_latest_done_run(this.id)
    lines.append(f"This year: {this.name}: {this.state}, {_responses(this)} responses")
    lines += [
        "  self-assessments: " + "; ".join(_stories(this)),
        "  scores by state: " + ", ".join(f"{s} {n}" for s, n in _state_totals(this)),
    ]
    if run is not None:
        kind = "final" if run.is_final else "provisional"
        lines.append(f"  {kind} run {run.version}: results at {base}/results/{this.id}")
    if links:
        lines.append(f"  {links}")
    elif os.path.exists(links_path()):
        lines.append(f"  invitation links: {links_path()}")
    return lines


def _responses(rnd: Round) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == rnd.id)
    )


def _state_totals(rnd: Round) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(SelfAssessment.state, func.count())
        .where(SelfAssessment.round_id == rnd.id)
        .group_by(SelfAssessment.state)
    )
    counts = dict(rows.all())
    return [(s, counts.get(s, 0)) for s in STATES]


def _stories(rnd: Round) -> list[str]:
    """Where the units stand, in the order of the workflow."""
    per_unit = list_state_counts(rnd)
    stages: dict[str, list[str]] = {name: [] for name in STAGES}
    for unit in rnd.units:
        stages[_stage(per_unit.get(unit.id, {}), _expected(rnd, unit))].append(unit.code)
    return [
        f"{len(codes)} units {name}" if len(codes) > 3 else f"{name}: {', '.join(codes)}"
        for name, codes in stages.items()
        if codes
    ]


STAGES = (
    "appraised and final",
    "waiting for round-1 appraisal",
    "between appraisal rounds 1 and 2 (giải trình)",
    "entering scores",
)


def _expected(rnd: Round, unit) -> int:
    cs = next((c for c in rnd.criteria_sets if c.unit_kind_id == unit.kind_id), None)
    return sum(1 for s in cs.subcriteria() if s.source == "self") if cs else 0


def _stage(counts: dict[str, int], expected: int) -> str:
    if counts.get("draft") or sum(counts.values()) < expected:
        return STAGES[3]
    if counts.get("submitted"):
        return STAGES[1]
    if counts.get("appraised") or counts.get("explained"):
        return STAGES[2]
    return STAGES[0]
