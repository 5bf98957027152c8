"""The form a respondent sees: an immutable copy of a questionnaire, cached per process.

A questionnaire never changes once imported (a changed one gets a new code), so its
structure is read once and reused: the submit path then needs no query before its one
transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.questionnaires.conditions import Condition, holds, parse_condition
from survey_app.questionnaires.models import Item, Questionnaire, Scale, Section

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Level:
    value: int
    label_vi: str
    label_en: str
    is_missing: bool

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_vi


@dataclass(frozen=True)
class FormItem:
    code: str
    text_vi: str
    text_en: str
    is_required: bool
    condition: Condition | None
    levels: tuple[Level, ...]
    groups: frozenset[str]

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_vi

    def values(self) -> frozenset[int]:
        return self._values

    def missing_values(self) -> frozenset[int]:
        return self._missing

    @cached_property
    def _values(self) -> frozenset[int]:
        return frozenset(lv.value for lv in self.levels)

    @cached_property
    def _missing(self) -> frozenset[int]:
        return frozenset(lv.value for lv in self.levels if lv.is_missing)


@dataclass(frozen=True)
class FormSection:
    title_vi: str
    title_en: str
    items: tuple[FormItem, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi


@dataclass(frozen=True)
class FormSpec:
    """A questionnaire as one respondent group sees it: non-empty sections of its items."""

    title_vi: str
    title_en: str
    sections: tuple[FormSection, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def items(self) -> list[FormItem]:
        return [i for s in self.sections for i in s.items]

    def is_shown(self, item: FormItem, answers: dict[str, int]) -> bool:
        """Whether ``item`` applies, given the answers so far ("don't know" left out)."""
        return item.condition is None or holds(item.condition, self.known(answers))

    def known(self, answers: dict[str, int]) -> dict[str, int]:
        dont_know = self._dont_know
        return {k: v for k, v in answers.items() if v not in dont_know.get(k, ())}

    @cached_property
    def _dont_know(self) -> dict[str, frozenset[int]]:
        return {i.code: i.missing_values() for i in self.items()}


def get_form_spec(questionnaire_id: int, group: str) -> FormSpec:
    """The cached form of ``questionnaire_id`` for respondent group ``group``."""
    cache = current_app.extensions.setdefault("parindex_forms", {})
    key = (questionnaire_id, group)
    if key not in cache:
        full = _load(questionnaire_id)
        with _LOCK:
            cache[key] = _for_group(full, group)
    return cache[key]


def _load(questionnaire_id: int) -> Questionnaire:
    q = db.session.get(
        Questionnaire,
        questionnaire_id,
        options=[
            selectinload(Questionnaire.sections)
            .selectinload(Section.items)
            .selectinload(Item.groups),
            selectinload(Questionnaire.scales).selectinload(Scale.levels),
        ],
    )
    if q is None:
        raise LookupError(f"questionnaire {questionnaire_id}")
    return q


def _for_group(q: Questionnaire, group: str) -> FormSpec:
    sections = []
    for sec in q.sections:
        items = tuple(_item(i) for i in sec.items if group in i.group_codes)
        if items:
            sections.append(FormSection(sec.title_vi, sec.title_en, items))
    return FormSpec(q.title_vi, q.title_en, tuple(sections))


def _item(item: Item) -> FormItem:
    levels = tuple(
        Level(lv.value, lv.label_vi, lv.label_en, lv.is_missing) for lv in item.scale.levels
    )
    condition = parse_condition(item.relevant) if item.relevant else None
    return FormItem(
        item.code,
        item.text_vi,
        item.text_en,
        item.is_required,
        condition,
        levels,
        frozenset(item.group_codes),
    )


def page_items(spec: FormSpec, index: int, answers: dict[str, int]) -> list[FormItem]:
    """Items shown on page ``index``: an item is hidden only when its condition rests on
    earlier pages and is false; one that rests on this page is shown, and its answer
    dropped on submit if the condition turns out false."""
    earlier = {i.code for s in spec.sections[:index] for i in s.items}
    shown = []
    for item in spec.sections[index].items:
        refs = {code for group in item.condition or () for code, _, _ in group}
        if item.condition and refs <= earlier and not spec.is_shown(item, answers):
            continue
        shown.append(item)
    return shown


def required_codes(spec: FormSpec, items: list[FormItem], answers: dict[str, int]) -> set[str]:
    """The required items among ``items`` that apply, given ``answers``."""
    return {i.code for i in items if i.is_required and spec.is_shown(i, answers)}
