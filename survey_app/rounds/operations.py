"""Creating, opening, closing, reopening rounds and moving their closing time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.criteria.models import CriteriaSet
from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile, Problem
from survey_app.questionnaires.models import Questionnaire
from survey_app.rounds.attributes import categorical_names
from survey_app.rounds.models import FrameStratum, PopulationMargin, Round
from survey_app.units.models import Unit


class RoundError(ValueError):
    """A round cannot be created or changed as asked; the message says why. ``message``
    may be English with ``{placeholders}`` for ``params``, so a page can translate it."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message, self.params = message, params


def create_round(
    name: str,
    criteria_set_codes: list[str],
    questionnaire_code: str,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    frame: dict[str, float] | None = None,
    margins: dict[str, dict[str, float]] | None = None,
) -> Round:
    """A draft round over every active unit of the criteria sets' kinds.

    ``margins`` (variable → level → population count) are the raking targets and declare
    the weighting variables: the only extra columns its respondent lists may carry into
    responses. See :func:`check_margins` and :func:`check_group_question` for what is
    refused."""
    sets = [_criteria_set(code) for code in criteria_set_codes]
    kinds = [cs.unit_kind_id for cs in sets]
    if len(set(kinds)) != len(kinds):
        raise RoundError("two criteria sets score the same unit kind")
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.code == questionnaire_code)
    )
    if questionnaire is None:
        raise RoundError(f"unknown questionnaire '{questionnaire_code}'")
    if opens_at and closes_at and closes_at <= opens_at:
        raise RoundError("the round must close after it opens")
    check_group_question(questionnaire, sets)
    problems = check_margins(questionnaire, margins or {})
    if problems:
        raise InvalidFile("population margins", problems)
    units = list(
        db.session.scalars(
            select(Unit).where(Unit.kind_id.in_(kinds), Unit.is_active).order_by(Unit.code)
        )
    )
    rnd = Round(
        name=name,
        questionnaire=questionnaire,
        criteria_sets=sets,
        units=units,
        opens_at=opens_at,
        closes_at=closes_at,
        frame=[FrameStratum(stratum=s, population=p) for s, p in (frame or {}).items()],
        margins=[
            PopulationMargin(variable=v, level=level, count=count)
            for v, counts in (margins or {}).items()
            for level, count in counts.items()
        ],
    )
    db.session.add(rnd)
    db.session.flush()
    log_change(
        "round.create",
        "round",
        rnd.id,
        round_id=rnd.id,
        new={
            "name": name,
            "criteria_sets": criteria_set_codes,
            "questionnaire": questionnaire_code,
            "units": len(units),
            "margins": sorted(margins or {}),
        },
    )
    return rnd


def check_margins(
    questionnaire: Questionnaire, margins: dict[str, dict[str, float]]
) -> list[Problem]:
    """Problems of raking margins against the questionnaire, every one of them.

    A variable named like a question must be a categorical question (select_one with text
    names), answered by everyone (required, no condition: the run refuses a respondent
    without a level), with exactly its choice names as levels. Other variables
    are respondent-list columns, whose levels are only known once responses exist."""
    problems = []
    for variable, counts in sorted(margins.items()):
        item = questionnaire.item(variable)
        if item is None:
            continue
        names = categorical_names(questionnaire, variable)
        if names is None:
            problems.append(
                Problem(
                    f"variable {variable}",
                    "'{variable}' is a {kind} question: only a categorical question "
                    "(select_one with text names) can be a raking variable",
                    variable=variable,
                    kind=item.kind,
                )
            )
            continue
        if not item.is_required or item.relevant:
            problems.append(
                Problem(
                    f"variable {variable}",
                    "the question must be required and asked of everyone (a respondent "
                    "without an answer cannot be raked)",
                )
            )
        choices = set(names.values())
        for level in sorted(set(counts) - choices):
            problems.append(
                Problem(
                    f"variable {variable}",
                    f"level '{level}' is not a choice name of the question "
                    f"(choices: {', '.join(sorted(choices))})",
                )
            )
        for name in sorted(choices - set(counts)):
            problems.append(Problem(f"variable {variable}", f"no count for the choice '{name}'"))
    return problems


def check_group_question(questionnaire: Questionnaire, sets: list[CriteriaSet]) -> None:
    """The answer to the group question is the respondent group: each of its choices
    must be a group that a criteria set of the round weights."""
    code = questionnaire.group_question
    if not code:
        return
    weighted = {g.group_code for cs in sets for g in cs.group_weights}
    names = set((categorical_names(questionnaire, code) or {}).values())
    if names - weighted:
        raise RoundError(
            "The answer to '{code}' is the respondent group, but its choices {names} are not "
            "groups that the criteria sets weight ({weighted}).",
            code=code,
            names=", ".join(sorted(names - weighted)),
            weighted=", ".join(sorted(weighted)) or "-",
        )


def _criteria_set(code: str) -> CriteriaSet:
    cs = db.session.scalar(select(CriteriaSet).where(CriteriaSet.code == code))
    if cs is None:
        raise RoundError(f"unknown criteria set '{code}'")
    return cs


def open_round(rnd: Round) -> None:
    """Start accepting responses; from now on the questionnaire and criteria are frozen."""
    if rnd.state != "draft":
        raise RoundError(f"round {rnd.id} is {rnd.state}, only a draft can be opened")
    rnd.state = "open"
    if rnd.opens_at is None or rnd.opens_at > utcnow():
        rnd.opens_at = utcnow()
    log_change(
        "round.open",
        "round",
        rnd.id,
        round_id=rnd.id,
        old={"state": "draft"},
        new={"state": "open"},
    )


def close_round(rnd: Round) -> None:
    """Stop accepting responses; links stop working and show the "closed" page."""
    if rnd.state != "open":
        raise RoundError(f"round {rnd.id} is {rnd.state}, only an open round can be closed")
    rnd.state, rnd.closed_at = "closed", utcnow()
    log_change(
        "round.close",
        "round",
        rnd.id,
        round_id=rnd.id,
        old={"state": "open"},
        new={"state": "closed"},
    )


def _check_closing_time(rnd: Round, closes_at: dt.datetime) -> None:
    if closes_at <= utcnow():
        raise RoundError("the new closing time must be in the future")
    if rnd.opens_at is not None and closes_at <= rnd.opens_at:
        raise RoundError("the round must close after it opens")


def reopen_round(rnd: Round, closes_at: dt.datetime) -> None:
    """Accept responses again until ``closes_at``: the links of people who have not answered
    work again (closing never touched them). Not once published: withdraw that first."""
    if rnd.state == "published":
        raise RoundError(
            f"round {rnd.id} is published: withdraw the publication before reopening it"
        )
    if rnd.state != "closed":
        raise RoundError(f"round {rnd.id} is {rnd.state}, only a closed round can be reopened")
    _check_closing_time(rnd, closes_at)
    old = {"state": "closed", "closes_at": _iso(rnd.closes_at), "closed_at": _iso(rnd.closed_at)}
    rnd.state, rnd.closes_at, rnd.closed_at = "open", closes_at, None
    new = {"state": "open", "closes_at": _iso(closes_at)}
    log_change("round.reopen", "round", rnd.id, round_id=rnd.id, old=old, new=new)


def extend_round(rnd: Round, closes_at: dt.datetime) -> None:
    """Move an open round's closing time later."""
    if rnd.state != "open":
        raise RoundError(
            f"round {rnd.id} is {rnd.state}, only an open round's closing time can be extended"
        )
    _check_closing_time(rnd, closes_at)
    if rnd.closes_at is not None and closes_at <= rnd.closes_at:
        raise RoundError("the new closing time must be later than the current one")
    old = {"closes_at": _iso(rnd.closes_at)}
    rnd.closes_at = closes_at
    log_change(
        "round.extend",
        "round",
        rnd.id,
        round_id=rnd.id,
        old=old,
        new={"closes_at": _iso(closes_at)},
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def advance_due_rounds(now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Open drafts whose opening time has passed and close open rounds past their closing
    time (the scheduled job); returns ``(round id, new state)`` pairs."""
    now = now or utcnow()
    changed = []
    due_open = select(Round).where(Round.state == "draft", Round.opens_at <= now)
    for rnd in db.session.scalars(due_open).all():
        open_round(rnd)
        changed.append((rnd.id, "open"))
    due_close = select(Round).where(Round.state == "open", Round.closes_at <= now)
    for rnd in db.session.scalars(due_close).all():
        close_round(rnd)
        changed.append((rnd.id, "closed"))
    db.session.flush()
    return changed
