"""Questionnaire YAML (FORMATS.md "Questionnaire") → a validated :class:`QuestionnaireSpec`."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_app.formats import fields
from survey_app.formats.problems import Collector
from survey_app.formats.yamlfile import LINE, load_yaml, where

#: The kinds of item. ``scale``: a select_one on a scored list (the only kind that counts
#: in the index); ``choice``: a select_one on a categorical list (stored, never scored);
#: ``multiple`` (select_multiple), ``text``, ``integer``, ``decimal``, ``date``: stored and
#: exported; ``note``: shown, no answer.
KINDS = ("scale", "choice", "multiple", "text", "integer", "decimal", "date", "note")
SCORED = "scale"
#: The only group of an item asked of every respondent group (an XLSForm that names none).
EVERY_GROUP = "*"
#: Kinds answered by choosing from a list (their answers are the levels' values).
LISTED = ("scale", "choice", "multiple")


@dataclass(frozen=True)
class LevelSpec:
    value: int
    label_vi: str
    label_en: str
    score: float | None
    is_missing: bool
    #: the XLSForm choice name when it is not the value itself (a categorical list)
    name: str = ""


@dataclass(frozen=True)
class ItemSpec:
    code: str
    text_vi: str
    text_en: str
    scale: str
    groups: tuple[str, ...]
    is_required: bool = False
    relevant: str | None = None
    #: one of :data:`KINDS`; only ``scale`` items are scored
    kind: str = "scale"
    #: inclusive range of an ``integer`` or ``decimal`` answer
    minimum: float | None = None
    maximum: float | None = None
    #: XLSForm ``hint``: shown under the question
    hint_vi: str = ""
    hint_en: str = ""

    @property
    def is_scored(self) -> bool:
        return self.kind == SCORED


@dataclass(frozen=True)
class SectionSpec:
    title_vi: str
    title_en: str
    items: tuple[ItemSpec, ...]


#: The longest introduction text (purpose, organisation, contact, anonymity statement).
INTRO_LIMIT = 4000
#: The introduction's texts, each a ``{vi: …, en: …}`` pair (or one text for both).
INTRO_TEXTS = ("purpose", "organisation", "contact", "anonymity")


@dataclass(frozen=True)
class IntroSpec:
    """What the respondent reads above the first question (FORMATS.md "intro"): why the
    survey is run, who runs it, how long it takes, whom to contact, and how answers are
    kept. Every field is optional; the respondent page has defaults for what is absent."""

    purpose_vi: str = ""
    purpose_en: str = ""
    organisation_vi: str = ""
    organisation_en: str = ""
    contact_vi: str = ""
    contact_en: str = ""
    anonymity_vi: str = ""
    anonymity_en: str = ""
    #: estimated minutes to answer
    minutes: int | None = None

    def text(self, name: str, lang: str) -> str:
        """``name`` (one of :data:`INTRO_TEXTS`) in ``lang``."""
        return getattr(self, f"{name}_{'en' if lang == 'en' else 'vi'}")


@dataclass(frozen=True)
class QuestionnaireSpec:
    code: str
    title_vi: str
    title_en: str
    scales: dict[str, tuple[LevelSpec, ...]]
    sections: tuple[SectionSpec, ...]
    source_text: str = field(repr=False, default="")
    #: what the import changed or left out (dropped metadata, ignored columns …)
    warnings: tuple[str, ...] = ()
    #: code of the categorical item whose answer is the respondent group (XLSForm)
    group_question: str | None = None
    #: the introduction (all optional)
    intro: IntroSpec = IntroSpec()

    def items(self) -> list[ItemSpec]:
        return [i for s in self.sections for i in s.items]

    def summary(self) -> str:
        """Which items are scored and which are only stored (said on every import)."""
        scored = [i.code for i in self.items() if i.is_scored]
        other = [f"{i.code} ({i.kind})" for i in self.items() if not i.is_scored]
        text = f"scored items ({len(scored)}): {', '.join(scored) or 'none'}"
        return text + (f"; stored, not scored: {', '.join(other)}" if other else "")


def parse_questionnaire(text: str, name: str) -> QuestionnaireSpec:
    """Read and validate a questionnaire; raise ``InvalidFile`` listing every problem."""
    data = load_yaml(text, name)
    c = Collector()
    top = where(data, "top level")
    vi, en = fields.bilingual(c, data, "title", top)
    scales = _scales(c, data, top)
    sections = _sections(c, data, top, scales)
    _unique_items(c, sections, data)
    _conditions(c, sections, data)
    intro = _intro(c, data)
    code = fields.text(c, data, "code", top)
    spec = QuestionnaireSpec(code, vi, en, scales, sections, text, intro=intro)
    c.raise_if_any(name)
    return spec


def _intro(c: Collector, data: dict) -> IntroSpec:
    """The optional ``intro`` mapping: texts as ``{vi: …, en: …}`` (one language stands
    in for a missing other) or one text for both, and ``minutes`` (a whole number)."""
    node = data.get("intro")
    if node is None:
        return IntroSpec()
    at = where(data, "intro")
    if not isinstance(node, dict):
        c.add(at, "'intro' must be a mapping (purpose, organisation, minutes, contact, anonymity)")
        return IntroSpec()
    values: dict = {}
    for name in INTRO_TEXTS:
        values[f"{name}_vi"], values[f"{name}_en"] = _intro_text(c, node.get(name), name, at)
    raw = node.get("minutes")
    if raw is not None:
        minutes = fields.integer(c, raw, "intro minutes", at, minimum=1)
        if minutes is not None and minutes > 600:
            c.add(at, f"intro minutes must be ≤ 600, got {minutes}")
        values["minutes"] = minutes if minutes is not None and minutes <= 600 else None
    unknown = sorted(str(k) for k in node if k not in (*INTRO_TEXTS, "minutes", LINE))
    if unknown:
        c.add(at, f"unknown intro field(s): {', '.join(unknown)}")
    return IntroSpec(**values)


def _intro_text(c: Collector, value, name: str, at: str) -> tuple[str, str]:
    if value is None:
        return "", ""
    if isinstance(value, str):
        text = value.strip()
        pair = (text, text)
    elif isinstance(value, dict):
        vi, en = (str(value.get(k) or "").strip() for k in ("vi", "en"))
        pair = (vi or en, en or vi)
    else:
        c.add(at, f"intro {name} must be a text or a mapping {{vi: …, en: …}}")
        return "", ""
    if max(len(pair[0]), len(pair[1])) > INTRO_LIMIT:
        c.add(at, f"intro {name} is longer than {INTRO_LIMIT} characters")
    return pair


def _scales(c: Collector, data: dict, top: str) -> dict[str, tuple[LevelSpec, ...]]:
    raw = data.get("scales")
    if not isinstance(raw, dict):
        c.add(top, "'scales' must map scale names to their levels")
        return {}
    out = {}
    for code, levels in raw.items():
        if code == LINE:
            continue
        if not isinstance(levels, list) or not levels:
            c.add(where(raw, f"scales.{code}"), "a scale must list its levels")
            continue
        out[str(code)] = tuple(
            lv
            for i, node in enumerate(levels)
            if (lv := _level(c, node, where(node, f"scales.{code}[{i}]")))
        )
        values = [lv.value for lv in out[str(code)]]
        if len(values) != len(set(values)):
            c.add(where(raw, f"scales.{code}"), "scale '{code}' repeats a value", code=code)
    return out


def _level(c: Collector, node, at: str) -> LevelSpec | None:
    if not isinstance(node, dict):
        c.add(at, "a level must be a mapping")
        return None
    value = fields.integer(c, node.get("value"), "value", at)
    vi, en = fields.bilingual(c, node, "label", at)
    missing = node.get("missing") is True
    score = None
    if missing and node.get("score") is not None:
        c.add(at, "a 'missing' level has no score")
    elif not missing:
        score = fields.number(c, node.get("score"), "score", at, minimum=0, maximum=1)
    return LevelSpec(value if value is not None else -1, vi, en, score, missing)


def _sections(c: Collector, data: dict, top: str, scales: dict) -> tuple[SectionSpec, ...]:
    out = []
    for i, node in enumerate(fields.items_list(c, data, "sections", top)):
        at = where(node, f"sections[{i}]")
        if not isinstance(node, dict):
            c.add(at, "a section must be a mapping")
            continue
        vi, en = fields.bilingual(c, node, "title", at)
        items = tuple(
            it
            for j, n in enumerate(fields.items_list(c, node, "items", at))
            if (it := _item(c, n, where(n, f"sections[{i}].items[{j}]"), scales))
        )
        out.append(SectionSpec(vi, en, items))
    return tuple(out)


def _item(c: Collector, node, at: str, scales: dict) -> ItemSpec | None:
    if not isinstance(node, dict):
        c.add(at, "an item must be a mapping")
        return None
    code = fields.code(c, node, "code", at, "item code")
    vi, en = fields.bilingual(c, node, "text", at)
    scale = fields.text(c, node, "scale", at)
    if scale and scale not in scales:
        c.add(at, "item {code} uses unknown scale '{scale}'", code=code, scale=scale)
    groups = node.get("groups")
    if not isinstance(groups, list) or not groups:
        c.add(at, "item {code} must list the respondent groups that see it", code=code)
        groups = []
    return ItemSpec(
        code,
        vi,
        en,
        scale,
        tuple(str(g) for g in groups),
        node.get("required") is True,
        node.get("relevant"),
    )


def _unique_items(c: Collector, sections: tuple[SectionSpec, ...], data: dict) -> None:
    seen: set[str] = set()
    for item in (i for s in sections for i in s.items):
        if item.code in seen:
            c.add(where(data, "sections"), "duplicate item code '{code}'", code=item.code)
        seen.add(item.code)


def _conditions(c: Collector, sections: tuple[SectionSpec, ...], data: dict) -> None:
    """Every ``relevant`` is in the supported subset and refers to earlier items."""
    from survey_app.questionnaires.conditions import (
        ConditionError,
        parse_condition,
        referenced_items,
    )

    earlier: set[str] = set()
    for item in (i for s in sections for i in s.items):
        if item.relevant:
            try:
                unknown = referenced_items(parse_condition(str(item.relevant))) - earlier
            except ConditionError as exc:
                c.add(where(data, "sections"), "item {code}: {exc}", code=item.code, exc=exc)
            else:
                if unknown:
                    c.add(
                        where(data, "sections"),
                        "item {code}: relevant refers to {unknown}, not an earlier item",
                        code=item.code,
                        unknown=", ".join(sorted(unknown)),
                    )
        earlier.add(item.code)
