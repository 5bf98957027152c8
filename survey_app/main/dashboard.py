"""The overview after sign-in: each round's state, progress, waiting work and results,
and what needs attention next, for the signed-in role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.assessments import rules
from survey_app.assessments.models import SelfAssessment
from survey_app.core.db import utcnow
from survey_app.core.ticks import SchedulerHealth, get_scheduler_health
from survey_app.extensions import db
from survey_app.results.models import AggregationRun
from survey_app.results.queries import list_runs
from survey_app.rounds.models import Round
from survey_app.rounds.queries import get_progress, progress_totals


@dataclass
class Waiting:
    """Self-assessment scores by the step they wait for."""

    to_submit: int = 0  # entered as drafts, not yet submitted by the unit
    round1: int = 0  # submitted, waiting for the first appraisal
    explanation: int = 0  # adjusted in round 1, waiting for the unit's explanation
    round2: int = 0  # explained, waiting for the second appraisal
    final: int = 0

    @property
    def total(self) -> int:
        return self.to_submit + self.round1 + self.explanation + self.round2 + self.final


@dataclass
class RoundCard:
    round: Round
    totals: dict
    days_left: int | None
    waiting: Waiting
    latest_run: AggregationRun | None
    published_run: AggregationRun | None
    todo: list[str] = field(default_factory=list)


def classify(sa: SelfAssessment) -> str:
    """The step a score waits for (one of the ``Waiting`` fields), by the workflow's rules."""
    if sa.state == "draft":
        return "to_submit"
    if sa.state == "submitted":
        return "round1"
    if sa.state == "appraised" and rules.is_adjusted(sa) and not sa.explanations:
        return "explanation"
    if sa.state == "explained":
        return "round2"
    return "final"


def count_waiting(round_id: int, unit_id: int | None = None) -> Waiting:
    stmt = (
        select(SelfAssessment)
        .where(SelfAssessment.round_id == round_id)
        .options(selectinload(SelfAssessment.appraisals), selectinload(SelfAssessment.explanations))
    )
    if unit_id is not None:
        stmt = stmt.where(SelfAssessment.unit_id == unit_id)
    waiting = Waiting()
    for sa in db.session.scalars(stmt):
        step = classify(sa)
        setattr(waiting, step, getattr(waiting, step) + 1)
    return waiting


def days_left(rnd: Round, now: dt.datetime) -> int | None:
    """Whole days until an open round closes (0 on its last day); None otherwise."""
    if rnd.state != "open" or rnd.closes_at is None:
        return None
    return max(0, (rnd.closes_at - now).days)


def list_round_cards(unit_id: int | None = None) -> list[RoundCard]:
    """Every round that is not published, then the latest published one."""
    rounds = list(
        db.session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    )
    active = [r for r in rounds if r.state != "published"]
    published = [r for r in rounds if r.state == "published"][:1]
    now = utcnow()
    cards = []
    for rnd in active + published:
        if unit_id is not None and unit_id not in {u.id for u in rnd.units}:
            continue
        runs = list_runs(rnd.id)
        cards.append(
            RoundCard(
                round=rnd,
                totals=progress_totals(get_progress(rnd)),
                days_left=days_left(rnd, now),
                waiting=count_waiting(rnd.id, unit_id),
                latest_run=runs[0] if runs else None,
                published_run=next((r for r in runs if r.is_published), None),
            )
        )
    return cards


@dataclass(frozen=True)
class Step:
    """One thing that needs attention: a sentence and where to do it."""

    text: str
    endpoint: str
    args: dict


def next_steps(card: RoundCard, role: str, unit_id: int | None = None) -> list[Step]:
    """What ``role`` should do next in this round, most urgent first."""
    from survey_app.i18n import gettext as _

    rnd, w, rid = card.round, card.waiting, card.round.id
    steps: list[Step] = []
    if role == "admin":
        if rnd.state == "draft":
            steps.append(
                Step(
                    _("Invite respondents and open the round."), "rounds.detail", {"round_id": rid}
                )
            )
        if rnd.state == "open" and not card.totals["invited"]:
            steps.append(
                Step(
                    _("Nobody is invited yet: upload the respondent list."),
                    "rounds.detail",
                    {"round_id": rid},
                )
            )
        elif (
            rnd.state == "open"
            and card.days_left is not None
            and card.days_left <= 7
            and (card.totals["rate"] or 0) < 0.7
        ):
            steps.append(
                Step(
                    _(
                        "{days} days left and {rate}% have answered: send a reminder.",
                        days=card.days_left,
                        rate=round((card.totals["rate"] or 0) * 100),
                    ),
                    "rounds.detail",
                    {"round_id": rid},
                )
            )
    if role in ("admin", "appraiser"):
        if w.round1:
            steps.append(
                Step(
                    _("{n} scores wait for the first appraisal.", n=w.round1),
                    "assessments.round_overview",
                    {"round_id": rid},
                )
            )
        if w.round2:
            steps.append(
                Step(
                    _("{n} explained scores wait for the second appraisal.", n=w.round2),
                    "assessments.round_overview",
                    {"round_id": rid},
                )
            )
    if role == "focal" and unit_id is not None:
        if w.to_submit:
            steps.append(
                Step(
                    _(
                        "{n} of your unit's scores are drafts: submit them for appraisal.",
                        n=w.to_submit,
                    ),
                    "assessments.sheet",
                    {"round_id": rid, "unit_id": unit_id},
                )
            )
        if w.explanation:
            steps.append(
                Step(
                    _(
                        "{n} of your unit's scores were adjusted: give your explanation.",
                        n=w.explanation,
                    ),
                    "assessments.sheet",
                    {"round_id": rid, "unit_id": unit_id},
                )
            )
    if role == "admin" and rnd.state == "closed":
        run = card.latest_run
        if run is None:
            steps.append(
                Step(
                    _("The round is closed: compute the index."), "results.runs", {"round_id": rid}
                )
            )
        elif run.state == "done" and not run.is_published:
            steps.append(
                Step(
                    _("Run {version} is ready: check it and publish.", version=run.version),
                    "results.runs",
                    {"round_id": rid},
                )
            )
    if role in ("viewer", "appraiser", "focal") and card.published_run is not None:
        steps.append(
            Step(_("The results are published."), "results.round_results", {"round_id": rid})
        )
    return steps


def scheduler_warning(role: str) -> SchedulerHealth | None:
    """For admins: the scheduler's health when it has gone silent, else None."""
    if role != "admin":
        return None
    health = get_scheduler_health()
    return health if health.needs_attention else None
