"""Read-only queries of the questionnaire pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.questionnaires.models import EVERY_GROUP, Item, Questionnaire, Scale, Section
from survey_app.rounds.models import Round


@dataclass(frozen=True)
class QuestionnaireRow:
    """A questionnaire as the list shows it."""

    questionnaire: Questionnaire
    n_items: int
    n_sections: int
    languages: tuple[str, ...]
    rounds: tuple[Round, ...]


def _with_tree():
    return (
        selectinload(Questionnaire.sections).selectinload(Section.items).selectinload(Item.groups),
        selectinload(Questionnaire.scales).selectinload(Scale.levels),
    )


def list_questionnaires() -> list[QuestionnaireRow]:
    """Every questionnaire (each code is a version), newest first."""
    stmt = (
        select(Questionnaire)
        .options(*_with_tree())
        .order_by(Questionnaire.created_at.desc(), Questionnaire.code)
    )
    rounds = rounds_by_questionnaire()
    return [
        QuestionnaireRow(
            q, len(q.items()), len(q.sections), languages(q), tuple(rounds.get(q.id, ()))
        )
        for q in db.session.scalars(stmt)
    ]


def get_questionnaire(questionnaire_id: int) -> Questionnaire:
    """The questionnaire with its sections, items and scales, or 404."""
    q = db.session.get(Questionnaire, questionnaire_id, options=list(_with_tree()))
    if q is None:
        abort(404)
    return q


def rounds_by_questionnaire() -> dict[int, list[Round]]:
    out: dict[int, list[Round]] = defaultdict(list)
    for rnd in db.session.scalars(select(Round).order_by(Round.created_at.desc())):
        out[rnd.questionnaire_id].append(rnd)
    return out


def languages(q: Questionnaire) -> tuple[str, ...]:
    """The languages the file gave: English only where some text differs from the
    Vietnamese (an XLSForm's plain ``label`` stands in for both)."""
    texts = [(q.title_vi, q.title_en)] + [(i.text_vi, i.text_en) for i in q.items()]
    return ("vi", "en") if any(vi != en for vi, en in texts) else ("vi",)


def group_codes(q: Questionnaire) -> list[str]:
    """The respondent groups asked at least one item, in a stable order."""
    return sorted({g for i in q.items() for g in i.group_codes})


def list_respondent_groups(rnd) -> set[str]:
    """The respondent groups a round's questionnaire asks: those its items name, and, when
    an item is asked of every group (an XLSForm without groups), the groups weighted by
    the round's criteria sets."""
    groups = {g for item in rnd.questionnaire.items() for g in item.group_codes}
    if EVERY_GROUP in groups:
        groups.discard(EVERY_GROUP)
        groups |= {g.group_code for cs in rnd.criteria_sets for g in cs.group_weights}
    return groups
