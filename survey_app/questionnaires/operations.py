"""Importing questionnaires."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from survey_app.core.audit import log_change
from survey_app.core.versioned import refuse_existing_code
from survey_app.extensions import db
from survey_app.formats.questionnaire_yaml import QuestionnaireSpec
from survey_app.i18n import N_
from survey_app.questionnaires.models import (
    Item,
    ItemGroup,
    Questionnaire,
    Scale,
    ScaleLevel,
    Section,
)


def import_questionnaire(spec: QuestionnaireSpec, name: str) -> Questionnaire:
    """Store a validated questionnaire. Codes are versions: an existing code is refused."""
    refuse_existing_code(Questionnaire, spec.code, N_("questionnaire"), name)
    intro = {k: v or None for k, v in dataclasses.asdict(spec.intro).items()}
    q = Questionnaire(
        code=spec.code,
        title_vi=spec.title_vi,
        title_en=spec.title_en,
        source_text=spec.source_text,
        group_question=spec.group_question,
        **intro,
    )
    scales = {
        code: Scale(code=code, levels=[_level(lv, i) for i, lv in enumerate(levels)])
        for code, levels in spec.scales.items()
    }
    q.scales = list(scales.values())
    for pos, section in enumerate(spec.sections):
        sec = Section(position=pos, title_vi=section.title_vi, title_en=section.title_en)
        sec.items = [_item(q, it, i, scales.get(it.scale)) for i, it in enumerate(section.items)]
        q.sections.append(sec)
    db.session.add(q)
    db.session.flush()
    log_change("questionnaire.import", "questionnaire", q.id, new={"code": q.code})
    return q


def _level(spec, position: int) -> ScaleLevel:
    return ScaleLevel(
        value=spec.value,
        position=position,
        label_vi=spec.label_vi,
        label_en=spec.label_en,
        score=spec.score,
        is_missing=spec.is_missing,
        name=spec.name or None,
    )


def _item(q: Questionnaire, spec, position: int, scale: Scale | None) -> Item:
    item = Item(
        code=spec.code,
        position=position,
        text_vi=spec.text_vi,
        text_en=spec.text_en,
        scale=scale,
        is_required=spec.is_required,
        relevant=spec.relevant,
        kind=spec.kind,
        minimum=spec.minimum,
        maximum=spec.maximum,
        hint_vi=spec.hint_vi or None,
        hint_en=spec.hint_en or None,
        groups=[ItemGroup(group_code=g) for g in spec.groups],
    )
    item.questionnaire = q
    return item


def known_item_codes() -> set[str]:
    """Codes a criteria set may use: scored items only (other kinds are never scored)."""
    return set(db.session.scalars(select(Item.code).where(Item.kind == "scale")))
