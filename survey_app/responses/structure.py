"""The form a respondent sees: an immutable copy of a questionnaire, cached per process.

A questionnaire never changes once imported (a changed one gets a new code), so its
structure is read once and reused: the submit path then needs no query before its one
transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.formats.questionnaire_yaml import INTRO_TEXTS, IntroSpec
from survey_app.questionnaires.conditions import Condition, holds, parse_condition
from survey_app.questionnaires.models import Item, Questionnaire, Scale, Section

_LOCK = threading.Lock()
LANGS = ("vi", "en")


@dataclass(frozen=True)
class Level:
    value: int
    label_vi: str
    label_en: str
    is_missing: bool
    #: the XLSForm name of a categorical choice
    name: str = ""

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_vi


#: The longest text answer kept.
TEXT_LIMIT = 2000
_DECIMAL = re.compile(r"^-?\d{1,12}(?:[.,]\d{1,9})?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class FormItem:
    """An item as the form shows it. ``kind`` (FORMATS.md): ``scale``/``choice`` answers
    are a level's value, ``multiple`` a sorted list of values, ``integer`` an int,
    ``decimal`` a number, ``text`` a string, ``date`` ``YYYY-MM-DD``; a ``note`` has none."""

    code: str
    text_vi: str
    text_en: str
    is_required: bool
    condition: Condition | None
    levels: tuple[Level, ...]
    groups: frozenset[str]
    kind: str = "scale"
    minimum: float | None = None
    maximum: float | None = None
    hint_vi: str = ""
    hint_en: str = ""

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_vi

    def hint(self, lang: str) -> str:
        return self.hint_en if lang == "en" else self.hint_vi

    def values(self) -> frozenset[int]:
        return self._values

    def missing_values(self) -> frozenset[int]:
        return self._missing if self.kind in ("scale", "choice") else frozenset()

    def read(self, raw) -> int | float | str | list[int] | None:
        """The answer posted as ``raw`` (text, or a list of texts for ``multiple``), or
        None when it is empty or not a valid answer to this item."""
        if self.kind in ("scale", "choice"):
            value = _as_int(raw)
            return value if value in self._values else None
        if self.kind == "multiple":
            values = {_as_int(r) for r in raw if r != ""}
            ok = values and values <= self._values
            return sorted(values) if ok else None  # type: ignore[type-var]
        raw = raw.strip()
        if self.kind == "text":
            return raw if raw and len(raw) <= TEXT_LIMIT else None
        if self.kind == "integer":
            return self._in_range(_as_int(raw))
        if self.kind == "decimal":
            if not _DECIMAL.match(raw):
                return None
            number = float(raw.replace(",", "."))
            return self._in_range(int(number) if number.is_integer() else number)
        if self.kind == "date":
            return _as_date(raw)
        return None

    def accepts(self, value) -> bool:
        """Whether a stored (JSON) answer is a valid answer to this item."""
        if isinstance(value, bool) or value is None:
            return False
        if self.kind in ("scale", "choice"):
            return isinstance(value, int) and value in self._values
        if self.kind == "multiple":
            return (
                isinstance(value, list)
                and bool(value)
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                and set(value) <= self._values
            )
        if self.kind == "text":
            return isinstance(value, str) and 0 < len(value) <= TEXT_LIMIT
        if self.kind == "integer":
            return isinstance(value, int) and self._in_range(value) is not None
        if self.kind == "decimal":
            return isinstance(value, int | float) and self._in_range(value) is not None
        if self.kind == "date":
            return isinstance(value, str) and _as_date(value) == value
        return False

    def _in_range(self, value):
        if value is None or not math.isfinite(value):
            return None
        if self.minimum is not None and value < self.minimum:
            return None
        if self.maximum is not None and value > self.maximum:
            return None
        return value

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
    #: the categorical item whose answer is the respondent group (XLSForm group_question)
    group_question: str | None = None
    #: the introduction above the first question (texts left empty are not given)
    intro: IntroSpec = IntroSpec()

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def items(self) -> list[FormItem]:
        return [i for s in self.sections for i in s.items]

    def answered_group(self, answers: dict) -> str | None:
        """The group the respondent chose (its choice name), if the form asks for it."""
        if not self.group_question:
            return None
        item = next((i for i in self.items() if i.code == self.group_question), None)
        value = answers.get(self.group_question)
        levels = item.levels if item else ()
        return next((lv.name for lv in levels if lv.value == value and lv.name), None)

    @cached_property
    def numbers(self) -> dict[str, int]:
        """Question numbers ("Câu 3"), continuous across pages; notes are not numbered.
        An item hidden by its condition keeps its number, so numbers never shift."""
        asked = (i for i in self.items() if i.kind != "note")
        return {item.code: n for n, item in enumerate(asked, start=1)}

    @cached_property
    def pages(self) -> dict[str, int]:
        """The page (section index) of each item."""
        return {i.code: n for n, s in enumerate(self.sections) for i in s.items}

    def is_shown(self, item: FormItem, answers: dict[str, int]) -> bool:
        """Whether ``item`` applies, given the answers so far ("don't know" left out)."""
        return item.condition is None or holds(item.condition, self.known(answers))

    def known(self, answers: dict[str, int]) -> dict[str, int]:
        dont_know = self._dont_know
        return {k: v for k, v in answers.items() if k not in dont_know or v not in dont_know[k]}

    @cached_property
    def _dont_know(self) -> dict[str, frozenset[int]]:
        return {i.code: i.missing_values() for i in self.items() if i.missing_values()}


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
        items = tuple(_item(i) for i in sec.items if i.asks(group))
        if items:
            sections.append(FormSection(sec.title_vi, sec.title_en, items))
    texts = {f"{n}_{lang}": getattr(q, f"{n}_{lang}") or "" for n in INTRO_TEXTS for lang in LANGS}
    intro = IntroSpec(**texts, minutes=q.minutes)
    return FormSpec(q.title_vi, q.title_en, tuple(sections), q.group_question, intro)


def _item(item: Item) -> FormItem:
    levels = tuple(
        Level(lv.value, lv.label_vi, lv.label_en, lv.is_missing, lv.name or "")
        for lv in (item.scale.levels if item.scale else ())
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
        item.kind,
        item.minimum,
        item.maximum,
        item.hint_vi or "",
        item.hint_en or "",
    )


def _as_int(raw: str) -> int | None:
    raw = raw.strip()
    if raw.lstrip("-").isdecimal() and len(raw) < 12:  # "²" is a digit but not decimal
        return int(raw)
    return None


def _as_date(raw: str) -> str | None:
    """``YYYY-MM-DD`` (a date input) or ``dd/mm/yyyy`` (typed) → ``YYYY-MM-DD``."""
    m = _DAY_FIRST.match(raw)
    try:
        day = dt.date(int(m[3]), int(m[2]), int(m[1])) if m else dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= day.year <= 2100 else None


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
