"""Importing criteria sets."""

from __future__ import annotations

from survey_app.core.audit import log_change
from survey_app.core.versioned import refuse_existing_code
from survey_app.criteria.models import (
    Area,
    CriteriaSet,
    Criterion,
    GroupWeight,
    SubCriterion,
    SubCriterionItem,
)
from survey_app.extensions import db
from survey_app.formats.criteria_yaml import CriteriaSetSpec
from survey_app.i18n import N_
from survey_app.units.operations import get_or_create_kind


def import_criteria_set(spec: CriteriaSetSpec, name: str) -> CriteriaSet:
    """Store a validated criteria set. Codes are versions: an existing code is refused."""
    refuse_existing_code(CriteriaSet, spec.code, N_("criteria set"), name)
    cs = CriteriaSet(
        code=spec.code,
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        year=spec.year,
        unit_kind=get_or_create_kind(spec.unit_kind),
        min_group_respondents=spec.min_group_respondents,
        bonus_cap=spec.bonus_cap,
        penalty_cap=spec.penalty_cap,
        source_text=spec.source_text,
        group_weights=[GroupWeight(group_code=g, weight=w) for g, w in spec.group_weights.items()],
    )
    for a_pos, area in enumerate(spec.areas):
        a = Area(code=area.code, position=a_pos, name_vi=area.name_vi, name_en=area.name_en)
        for c_pos, crit in enumerate(area.criteria):
            c = Criterion(
                code=crit.code, position=c_pos, name_vi=crit.name_vi, name_en=crit.name_en
            )
            c.subcriteria = [_sub(cs, s, pos) for pos, s in enumerate(crit.subcriteria)]
            a.criteria.append(c)
        cs.areas.append(a)
    db.session.add(cs)
    db.session.flush()
    log_change("criteria_set.import", "criteria_set", cs.id, new={"code": cs.code})
    return cs


def _sub(cs: CriteriaSet, spec, position: int) -> SubCriterion:
    sub = SubCriterion(
        code=spec.code,
        position=position,
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        source=spec.source,
        max_points=spec.max_points,
        items=[SubCriterionItem(item_code=i, position=p) for p, i in enumerate(spec.items)],
    )
    sub.criteria_set = cs
    return sub
