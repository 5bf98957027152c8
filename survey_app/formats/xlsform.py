"""XLSForm questionnaires as KoboToolbox, ODK and pyxform write them (docs/FORMATS.md).

Spellings are read as pyxform reads them: sheet and column names are case-insensitive
(``List Name`` is ``list_name``), translated columns are ``label::Vietnamese (vi)`` or,
in an older sheet without ``::``, ``label:English``; question types are ``select_one
LIST``, ``select one LIST``, ``select one from LIST``, ``select_multiple LIST``, ``begin
group`` or ``begin_group`` …; ``form_id`` defaults to the file name. Kobo's own columns
(``$kuid``, ``$autoname`` …) are skipped.

Kinds of question (:data:`~survey_app.formats.questionnaire_yaml.KINDS`):

- ``select_one`` on a list whose names are all whole numbers, or that has a ``score``
  column, is a *scored scale*: the name is the stored value; a ``missing`` column (yes)
  or the settings column ``missing_values`` (such as ``99``) marks "don't know". Without
  scores, levels are scored evenly from 0 (lowest value) to 1 (highest).
- ``select_one`` on a list with text names is *categorical* (stored as the level's
  position 1, 2 …, exported with its labels and name, never scored);
- ``select_multiple``, ``text``, ``integer``, ``decimal`` (with an optional range
  ``constraint`` such as ``. >= 18 and . <= 99``), ``date``: stored and exported, not
  scored; ``note``: shown.
- metadata (``start``, ``end``, ``today``, ``deviceid``, ``username`` …) is dropped with a
  warning: it would identify respondents;
- ``select_one LIST or_other`` on a categorical list adds the choice ``other`` and a text
  question ``NAME_other`` asked after it (as pyxform does);
- anything that cannot be honoured (repeats, calculations, media, choice filters,
  constraints other than ranges …) is refused with its sheet, row and the reason.

``relevant``: the conditions of :mod:`survey_app.questionnaires.conditions`; on a
categorical question ``${sex} = 'female'`` and ``selected(${sex}, 'female')`` become the
choice's stored value.

Respondent groups: a ``groups`` column on the survey sheet (per question) or on the
settings sheet (every question), space or comma separated; or the settings column
``group_question`` naming a required categorical question whose answer (its choice
name) is the group of an open-link response (then no ``groups`` column: questions for
some groups say so with ``relevant``).
Other columns are ignored with a warning. Warnings travel on the spec
(``QuestionnaireSpec.warnings``); problems raise :class:`InvalidFile`, nothing imported.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import PurePath

from survey_app.formats.problems import Collector, InvalidFile, Notice, Problem
from survey_app.formats.questionnaire_yaml import (
    EVERY_GROUP,
    INTRO_LIMIT,
    INTRO_TEXTS,
    IntroSpec,
    ItemSpec,
    LevelSpec,
    QuestionnaireSpec,
    SectionSpec,
)
from survey_app.formats.xlsxfile import bounded_values, cell_text, open_workbook
from survey_app.i18n import N_
from survey_app.questionnaires.conditions import ConditionError, parse_condition, referenced_items

_YES, _NO = {"yes", "true", "true()", "1"}, {"", "no", "false", "false()", "0"}
#: pyxform's aliases of column names (after snake_case).
_ALIASES = {
    "list": "list_name",
    "caption": "label",
    "relevance": "relevant",
    "calculate": "calculation",
    "constraining_message": "constraint_message",
    "command": "type",
    "id_string": "form_id",
    "organization": "organisation",
    "duration": "minutes",
    "set_form_id": "form_id",
    "set_form_title": "form_title",
    "title": "form_title",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "big-image": "media",
    "image": "media",
    "audio": "media",
    "video": "media",
}
_TRANSLATED = {"label", "hint", "guidance_hint", "constraint_message", "required_message"}
#: ParIndex's settings columns of the introduction (FORMATS.md), translated like labels:
#: ``purpose::Vietnamese (vi)``; plus ``minutes`` (a whole number).
INTRO_COLUMNS = INTRO_TEXTS
#: Columns that change what is asked or stored and cannot be honoured: refused.
_REFUSED_COLUMNS = {
    "calculation": N_("calculations are not supported: derive values after exporting"),
    "choice_filter": N_(
        "choice filters (cascading lists) are not supported: use separate questions"
    ),
    "repeat_count": N_("repeats are not supported: each response is one row"),
    "media": N_("images, audio and video are not supported in the form"),
    "trigger": N_("triggers (recalculating on another answer) are not supported"),
}
#: Columns read elsewhere, or ignored on purpose with this reason.
_IGNORED_COLUMNS = {
    "guidance_hint": N_("guidance hints are not shown (hints are)"),
    "appearance": N_("appearance is ignored: the form has its own accessible layout"),
    "default": N_("defaults are not filled in: a pre-filled answer would bias the response"),
    "read_only": N_("read_only is ignored"),
    "parameters": N_("parameters are ignored"),
    "required_message": N_("the form's own required message is shown"),
    "constraint_message": N_("the form's own range message is shown"),
}
SURVEY_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint", "groups"}
CHOICE_COLUMNS = {"list_name", "name", "label", "score", "missing"}
#: Question types that record who, when, where or on what device: dropped.
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
    "instanceid",
    "uri:username",
    "uri:email",
    "uri:phonenumber",
    "uri:deviceid",
    "uri:subscriberid",
    "uri:simserial",
}
_SIMPLE = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
}
#: Question types refused, with the reason.
_REFUSED_TYPES = {
    "calculate": N_("calculations are not supported: derive values after exporting"),
    "hidden": N_("hidden values are not supported"),
    "geopoint": N_("locations are not supported: they would identify the respondent"),
    "geotrace": N_("locations are not supported: they would identify the respondent"),
    "geoshape": N_("locations are not supported: they would identify the respondent"),
    "image": N_("photos and files are not supported: responses are anonymous text and numbers"),
    "audio": N_("photos and files are not supported: responses are anonymous text and numbers"),
    "video": N_("photos and files are not supported: responses are anonymous text and numbers"),
    "file": N_("photos and files are not supported: responses are anonymous text and numbers"),
    "barcode": N_("barcodes are not supported"),
    "time": N_("times are not supported (dates are)"),
    "datetime": N_("times are not supported (dates are)"),
    "range": N_("range widgets are not supported: use integer with a range constraint"),
    "acknowledge": N_("acknowledge is not supported: use a note"),
    "xml-external": N_("external data is not supported"),
    "csv-external": N_("external data is not supported"),
}
_SELECT = re.compile(
    r"^(?P<cmd>select_one|select one from|select one|select1|add select one prompt using|"
    r"select_multiple|select multiple|select all that apply from|select all that apply|"
    r"add select multiple prompt using)\s+(?P<list>\S+)"
    r"(?P<other>\s+(?:or_other|or specify other|or other))?$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"^(begin|end)[ _](group|repeat|looped group|lgroup|loop)(\s.*)?$")
_BOUND = re.compile(r"^\.\s*(>=|<=|>|<)\s*'?(-?\d+(?:\.\d+)?)'?$")
_CHOICE_TEST = re.compile(r"\$\{([A-Za-z_][\w.-]*)\}\s*(!=|=)\s*'([^']*)'")
_SELECTED = re.compile(r"selected\(\s*\$\{([A-Za-z_][\w.-]*)\}\s*,\s*'([^']*)'\s*\)")
_CODE = re.compile(r"[A-Za-z_][\w.-]{0,31}")


def parse_xlsform(data: bytes, name: str) -> QuestionnaireSpec:
    """Read and validate an XLSForm workbook; ``InvalidFile`` lists every problem."""
    book = open_workbook(data, name)
    sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
    if "survey" not in sheets:
        raise InvalidFile(name, [Problem("workbook", "missing sheet: survey")])
    reader = _Reader(Collector())
    settings = _rows(sheets["settings"], name) if "settings" in sheets else []
    first = settings[0] if settings else (2, {})
    code, titles = reader.settings(first, name)
    intro = reader.intro(first)
    reader.choices(_rows(sheets["choices"], name) if "choices" in sheets else [])
    sections = reader.survey(_rows(sheets["survey"], name), titles)
    group_question = reader.group_question(sections)
    reader.c.raise_if_any(name)
    note = f"XLSForm {name} (sha256 {hashlib.sha256(data).hexdigest()})"
    return QuestionnaireSpec(
        code,
        titles[0],
        titles[1],
        reader.used_scales(sections),
        sections,
        note,
        tuple(reader.warnings()),
        group_question,
        intro,
    )


# -- reading sheets as pyxform does -------------------------------------------------------


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


def _header_key(header: str, double_colon: bool) -> str:
    """``Label::Tiếng Việt (vi)`` → ``label::Tiếng Việt (vi)``; ``List Name`` → ``list_name``."""
    tokens = [t.strip() for t in header.split("::" if double_colon else ":")]
    base = _snake(tokens[0])
    base = _ALIASES.get(base, base)
    rest = [t for t in tokens[1:] if t]
    if base == "media" and tokens[0].strip().lower() != "media":
        rest = [tokens[0].strip().lower(), *rest]
    return "::".join([base, *rest])


def _rows(sheet, name: str) -> list[tuple[int, dict[str, str]]]:
    """``(row number, {normalised column: text})`` for every non-empty row after the header."""
    rows = bounded_values(sheet, name)
    header = [cell_text(v) for v in next(rows, (1, ()))[1]]
    double = any("::" in h for h in header)
    keys = [None if not h or h.startswith(("$", "_")) else _header_key(h, double) for h in header]
    out = []
    for number, values in rows:
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        row = {k: cells[i] if i < len(cells) else "" for i, k in enumerate(keys) if k}
        if any(row.values()):
            out.append((number, row))
    return out


def _language(token: str) -> str | None:
    """``Vietnamese (vi)``, ``Tiếng Việt``, ``en``, ``English (en)`` → vi / en; else None."""
    m = re.search(r"\(([^)]*)\)\s*$", token)
    code = (m.group(1) if m else token).strip().lower()
    words = re.sub(r"\(.*\)", "", token).strip().lower()
    if code in ("vi", "vie", "vn") or words in ("vietnamese", "tiếng việt", "tieng viet"):
        return "vi"
    if code in ("en", "eng") or words == "english":
        return "en"
    return None


class _Reader:
    def __init__(self, c: Collector) -> None:
        self.c = c
        self.notes: dict[tuple, list[str]] = defaultdict(list)
        self.default_lang: str | None = None
        self.groups: tuple[str, ...] = ()
        self.group_setting: tuple[int, str] = (2, "")  # settings row, group_question
        self.declared_missing: set[int] = set()
        self.lists: dict[str, tuple[LevelSpec, ...]] = {}
        self.scored_lists: set[str] = set()
        self.list_rows: dict[str, str] = {}
        self.extra: list[ItemSpec] = []  # questions a row adds after itself (or_other)

    # warnings, grouped so a column ignored on 40 rows is said once
    def note(self, where: str, message: str, **params) -> None:
        places = self.notes[(message, tuple(params.items()))]
        if where not in places:
            places.append(where)

    def warnings(self) -> list[str]:
        """English sentences (``str``) that pages can also say in the reader's language."""
        return [
            Notice(places, message, **dict(params))
            for (message, params), places in self.notes.items()
        ]

    def fits(self, at: str, what: str, text: str | None, limit: int) -> None:
        if text and len(text) > limit:
            self.c.add(
                at,
                "{what} has {n} characters; at most {limit}",
                what=what,
                n=len(text),
                limit=limit,
            )

    def labels(self, at: str, row: dict, column: str = "label", limit: int = 4000, quiet=False):
        """{'vi': …, 'en': …}; a plain ``label`` is the default language (or fills gaps);
        one language stands in for the other; other languages are ignored with a notice."""
        out: dict[str, str] = {}
        plain = row.get(column, "")
        for key, value in row.items():
            base, _, lang = key.partition("::")
            if base != column or not lang or not value:
                continue
            code = _language(lang)
            if code:
                out.setdefault(code, value)
            else:
                self.note(
                    f"column {key}",
                    "labels in '{lang}' are ignored (Vietnamese and English are kept)",
                    lang=lang,
                )
        if plain and self.default_lang and self.default_lang not in out:
            out[self.default_lang] = plain
        vi, en = out.get("vi") or plain, out.get("en") or plain
        if vi and not en and not quiet:
            self.note(at, "no English text: the Vietnamese one is used")
        elif en and not vi and not quiet:
            self.note(at, "no Vietnamese text: the English one is used")
        for lang, text in (("Vietnamese", vi), ("English", en)):
            self.fits(at, f"the {lang} {column}", text, limit)
        return {"vi": vi or en, "en": en or vi}

    def columns(self, at: str, row: dict, known: set[str]) -> None:
        for key, value in row.items():
            base = key.partition("::")[0]
            if not value or base in known or key == "__extra__":
                continue
            if base in _REFUSED_COLUMNS:
                self.c.add(
                    at,
                    "column '{key}' is not supported (value '{value}'): {why}",
                    key=key,
                    value=value,
                    why=_REFUSED_COLUMNS[base],
                )
            elif base in _IGNORED_COLUMNS:
                self.note(f"column {key}", _IGNORED_COLUMNS[base])
            else:
                self.note(f"column {key}", "this column is ignored")

    # settings --------------------------------------------------------------------------

    def settings(self, numbered: tuple[int, dict], name: str) -> tuple[str, tuple[str, str]]:
        number, row = numbered
        at = f"settings row {number}"
        self.default_lang = (
            _language(row.get("default_language", "")) if row.get("default_language") else None
        )
        code = row.get("form_id", "")
        if not code:
            code = re.sub(r"[^\w.-]+", "-", PurePath(name).stem).strip("-")[:64] or "xlsform"
            self.note(
                "settings",
                "no form_id: the questionnaire code is '{code}', from the file name",
                code=code,
            )
        elif len(code) > 64:
            self.c.add(at, "form_id '{code}' is longer than 64 characters", code=code)
        self.groups = tuple(g for g in re.split(r"[\s,]+", row.get("groups", "")) if g)
        self.group_setting = (number, row.get("group_question", "").strip())
        for raw in re.split(r"[\s,]+", row.get("missing_values", "")):
            if raw and raw.lstrip("-").isdigit():
                self.declared_missing.add(int(raw))
            elif raw:
                self.c.add(at, "missing_values must be whole numbers, got '{raw}'", raw=raw)
        titles = self.labels(at, row, "form_title", 500)
        return code, (titles["vi"] or code, titles["en"] or code)

    def group_question(self, sections) -> str | None:
        """``group_question``: a required categorical select_one, asked of everyone, whose
        choice names are respondent groups; questions then follow the answer through
        ``relevant`` (``${group} = 'leader'``), not through a ``groups`` column."""
        number, code = self.group_setting
        if not code:
            return None
        at = f"settings row {number}"
        item = next((i for s in sections for i in s.items if i.code == code), None)
        if item is None:
            self.c.add(at, f"group_question '{code}' is not a question of the survey sheet")
            return None
        why = []
        if item.kind != "choice":
            why.append("a select_one with text names (such as leader, official, citizen)")
        if not item.is_required:
            why.append("required (every response needs a group)")
        if item.relevant:
            why.append("asked of everyone (no relevant)")
        if item.groups != (EVERY_GROUP,):
            why.append(f"in a form without a groups column (use relevant on ${{{code}}})")
        if why:
            reasons = "; ".join(why)
            self.c.add(at, "group_question '{code}' must be {reasons}", code=code, reasons=reasons)
            return None
        names = [lv.name for lv in self.lists.get(item.scale, ()) if lv.name]
        bad = [n for n in names if not _CODE.fullmatch(n)]
        if bad:
            self.c.add(at, f"group_question '{code}': '{bad[0]}' cannot be a group code")
        return code

    def intro(self, numbered: tuple[int, dict]) -> IntroSpec:
        """The introduction from the settings columns ``purpose``, ``organisation``,
        ``contact``, ``anonymity`` (each optionally ``::Vietnamese (vi)`` / ``::English
        (en)``; one language stands in for the other) and ``minutes``."""
        number, row = numbered
        at = f"settings row {number}"
        values: dict = {}
        for column in INTRO_COLUMNS:
            texts = self.labels(at, row, column, INTRO_LIMIT, quiet=True)
            values[f"{column}_vi"], values[f"{column}_en"] = texts["vi"], texts["en"]
        raw = row.get("minutes", "").strip()
        if raw:
            if raw.isdecimal() and 1 <= int(raw) <= 600:
                values["minutes"] = int(raw)
            else:
                self.c.add(at, f"minutes must be a whole number from 1 to 600, got '{raw}'")
        return IntroSpec(**values)

    # choices ---------------------------------------------------------------------------

    def choices(self, rows) -> None:
        raw: dict[str, list] = defaultdict(list)
        for number, row in rows:
            at = f"choices row {number}"
            self.columns(at, row, CHOICE_COLUMNS)
            list_name, value = row.get("list_name", ""), row.get("name", "")
            if not list_name:
                self.c.add(at, "list_name is missing")
                continue
            self.fits(at, "list_name", list_name, 50)
            if not value:
                self.c.add(at, "the choice has no name (the value stored)")
                continue
            labels = self.labels(at, row, limit=255)
            self.fits(at, "the choice name", value, 64)
            if not labels["vi"]:
                self.c.add(at, "the choice has no label")
            missing = row.get("missing", "").lower()
            if missing not in _YES | _NO:
                self.c.add(at, "missing must be yes or no, got '{missing}'", missing=row["missing"])
            score = None
            if row.get("score"):
                try:
                    score = float(row["score"])
                except ValueError:
                    self.c.add(at, "score '{score}' is not a number", score=row["score"])
                else:
                    if not 0 <= score <= 1:
                        self.c.add(at, "score must be between 0 and 1, got {score:g}", score=score)
            raw[list_name].append(
                (at, {"name": value, **labels, "score": score, "missing": missing in _YES})
            )
            self.list_rows.setdefault(list_name, at)
        for list_name, levels in raw.items():
            numeric = all(re.fullmatch(r"-?\d{1,9}", lv["name"]) for _, lv in levels)
            scored = numeric or any(lv["score"] is not None for _, lv in levels)
            for i, (_, lv) in enumerate(levels):
                lv["value"] = int(lv["name"]) if numeric else i + 1
                if numeric and lv["value"] in self.declared_missing:
                    lv["missing"] = True
            if len({lv["name"] for _, lv in levels}) != len(levels):
                self.c.add(levels[0][0], "list '{list_name}' repeats a value", list_name=list_name)
                continue
            texts = [lv["name"] for _, lv in levels if not re.fullmatch(r"-?\d{1,9}", lv["name"])]
            if not scored and len(texts) < len(levels) / 2:
                self.note(
                    levels[0][0],
                    "list '{list_name}' has text names ({names}): its questions are categorical, "
                    "not scored",
                    list_name=list_name,
                    names=", ".join(texts),
                )
            if scored:
                self.scored_lists.add(list_name)
                self.lists[list_name] = self._scored(list_name, levels, numeric)
            else:
                self.lists[list_name] = tuple(
                    LevelSpec(lv["value"], lv["vi"], lv["en"], None, lv["missing"], lv["name"])
                    for _, lv in levels
                )

    def _scored(self, name: str, levels: list, numeric: bool) -> tuple[LevelSpec, ...]:
        c = self.c
        scored = [lv for _, lv in levels if not lv["missing"]]
        given = [lv["score"] is not None for lv in scored]
        if any(given) and not all(given):
            c.add(levels[0][0], "list '{name}': give a score to every level or to none", name=name)
        if any(lv["score"] is not None for _, lv in levels if lv["missing"]):
            c.add(levels[0][0], "list '{name}': a 'missing' level has no score", name=name)
        if not any(given) and scored:
            ordered = sorted(lv["value"] for lv in scored)
            step = 1 / (len(ordered) - 1) if len(ordered) > 1 else 0
            defaults = {v: round(i * step, 6) for i, v in enumerate(ordered)}
            for lv in scored:
                lv["score"] = defaults[lv["value"]] if len(ordered) > 1 else 1.0
            if len(ordered) > 2 and ordered[-1] >= 90 and ordered[-1] - ordered[-2] > 10:
                self.note(
                    levels[0][0],
                    "list '{name}': {best} is scored as the best answer; if it means \"don't "
                    'know", mark it missing (missing column or settings missing_values)',
                    name=name,
                    best=ordered[-1],
                )
        return tuple(
            LevelSpec(
                lv["value"],
                lv["vi"],
                lv["en"],
                None if lv["missing"] else lv["score"],
                lv["missing"],
                "" if numeric else lv["name"],
            )
            for _, lv in levels
        )

    def used_scales(self, sections) -> dict[str, tuple[LevelSpec, ...]]:
        used = {i.scale for s in sections for i in s.items if i.scale}
        return {name: levels for name, levels in self.lists.items() if name in used}

    # survey ----------------------------------------------------------------------------

    def survey(self, rows, title: tuple[str, str]) -> tuple[SectionSpec, ...]:
        sections: list[tuple[tuple[str, str], list[ItemSpec]]] = [(title, [])]
        stack: list[tuple[str, str | None]] = []  # open groups: (kind, relevant)
        self.items: dict[str, ItemSpec] = {}
        for number, row in rows:
            at = f"survey row {number}"
            raw = " ".join(row.get("type", "").split())
            kind = raw.lower()
            control = _CONTROL.match(kind)
            if control and control.group(2) != "group":
                if control.group(1) == "begin":
                    self.c.add(
                        at,
                        "question type '{raw}' is not supported: repeats (questions asked "
                        "several times) do not fit one row per response",
                        raw=raw,
                    )
                    stack.append(("repeat", None))
                elif stack:
                    stack.pop()
            elif control and control.group(1) == "begin":
                self.columns(at, row, SURVEY_COLUMNS)
                relevant = row.get("relevant") or None
                if relevant:
                    relevant = self.relevant(at, relevant)
                if stack:
                    self.note(at, "a group inside a group is shown on its outer group's page")
                else:
                    labels = self.labels(at, row, limit=500)
                    name = row.get("name", "")
                    sections.append(((labels["vi"] or name, labels["en"] or name), []))
                stack.append(("group", relevant))
            elif control:
                if not stack:
                    self.c.add(at, "end group without a begin group")
                else:
                    stack.pop()
                    if not stack:
                        sections.append((title, []))
            elif not kind:
                if row.get("name") or any(v for k, v in row.items() if k.startswith("label")):
                    self.c.add(at, "the type is missing")
            elif kind in METADATA:
                self.note(
                    at,
                    "'{raw}' metadata was dropped: it records who, when or on what device "
                    "someone answered, and responses are anonymous",
                    raw=raw,
                )
            else:
                self.extra: list[ItemSpec] = []
                item = self.item(at, row, raw, kind, stack)
                if item and all(k != "repeat" for k, _ in stack):  # a repeat is refused
                    for one in (item, *self.extra):
                        sections[-1][1].append(one)
                        self.items[one.code] = one
        for kind, _ in stack:
            self.c.add("survey", "a begin {kind} has no end {kind}", kind=kind)
        out = tuple(SectionSpec(t[0], t[1], tuple(items)) for t, items in sections if items)
        if not any(i.kind != "note" for s in out for i in s.items) and not self.c.problems:
            self.c.add("survey", "the form has no questions")
        return out

    def item(self, at: str, row: dict, raw: str, kind: str, stack) -> ItemSpec | None:
        select = _SELECT.match(raw)
        list_name = ""
        if kind.startswith(("select_one_", "select_multiple_", "select one from file")) or (
            "from_file" in kind or "from file" in kind
        ):
            self.c.add(
                at, "question type '{raw}' is not supported: lists from files are not", raw=raw
            )
            return None
        other = False
        if select:
            list_name = select.group("list")
            multiple = (
                "multiple" in select.group("cmd").lower() or "all" in select.group("cmd").lower()
            )
            if select.group("other"):
                if multiple or list_name in self.scored_lists:
                    self.c.add(
                        at,
                        "question type '{raw}' is not supported: 'or other' only on a select_one "
                        "with a categorical list (add an 'other' choice and a text question with "
                        "a relevant instead)",
                        raw=raw,
                    )
                    return None
                other = list_name in self.lists
                list_name = self.with_other(list_name) if other else list_name
            if list_name not in self.lists:
                self.c.add(
                    at, "choice list '{list_name}' is not on the choices sheet", list_name=list_name
                )
                item_kind = "scale"
            elif multiple:
                item_kind = "multiple"
            else:
                item_kind = "scale" if list_name in self.scored_lists else "choice"
        elif kind in _SIMPLE:
            item_kind = _SIMPLE[kind]
        else:
            why = _REFUSED_TYPES.get(kind.replace(" ", "").replace("_", "")) or _REFUSED_TYPES.get(
                kind
            )
            self.c.add(
                at,
                "question type '{raw}' is not supported: {why}",
                raw=raw,
                why=why
                or N_("use select_one, select_multiple, text, integer, decimal, date or note"),
            )
            return None
        self.columns(at, row, SURVEY_COLUMNS)
        code, labels = row.get("name", ""), self.labels(at, row)
        if not _CODE.fullmatch(code):
            self.c.add(
                at,
                "name '{code}' is not a valid question code (a letter, then up to 31 letters, "
                "digits, _ . -)",
                code=code,
            )
        elif code in self.items:
            self.c.add(at, "duplicate question name '{code}'", code=code)
        if not labels["vi"]:
            self.c.add(at, "the question has no label")
        required = row.get("required", "").lower()
        if required not in _YES | _NO:
            self.c.add(at, "required must be yes or no, got '{required}'", required=row["required"])
        groups = tuple(g for g in re.split(r"[\s,]+", row.get("groups", "")) if g) or self.groups
        if not groups:
            groups = (EVERY_GROUP,)
            self.note(
                "survey",
                "no groups column: every question is asked of every respondent group (a "
                "groups column on the survey sheet, or on the settings sheet, names them)",
            )
        relevant = row.get("relevant") or None
        if relevant:
            relevant = self.relevant(at, relevant)
        relevant = self.with_groups(at, relevant, [r for _, r in stack if r])
        minimum = maximum = None
        if row.get("constraint"):
            minimum, maximum = self.range(at, row["constraint"], item_kind)
        if other:
            self.or_other(at, code, list_name, groups, relevant)
        hint = self.labels(at, row, "hint", quiet=True)
        return ItemSpec(
            code,
            labels["vi"],
            labels["en"],
            list_name,
            groups,
            required in _YES and item_kind != "note",
            relevant,
            item_kind,
            minimum,
            maximum,
            hint["vi"],
            hint["en"],
        )

    def with_other(self, list_name: str) -> str:
        """pyxform's ``or_other``: the list with an 'other' choice added."""
        levels = self.lists[list_name]
        name = f"{list_name}__or_other"
        if all(lv.name != "other" for lv in levels):
            value = max(lv.value for lv in levels) + 1
            levels = (*levels, LevelSpec(value, "Khác", "Other", None, False, "other"))
        self.lists[name] = levels
        return name

    def or_other(self, at: str, code: str, list_name: str, groups, relevant) -> None:
        """pyxform's ``or_other``: a text question ``CODE_other`` asked after 'other'."""
        value = next(lv.value for lv in self.lists[list_name] if lv.name == "other")
        condition = f"${{{code}}} = {value}"
        self.extra.append(
            ItemSpec(
                f"{code}_other",
                "Nêu cụ thể",
                "Specify other",
                "",
                groups,
                False,
                f"{relevant} and {condition}" if relevant else condition,
                "text",
            )
        )
        if not _CODE.fullmatch(f"{code}_other"):
            self.c.add(
                at, "name '{code}' is too long for its 'or other' question {code}_other", code=code
            )
        self.note(
            at, "'or other' added the choice 'other' and the text question {code}_other", code=code
        )

    def relevant(self, at: str, text: str) -> str | None:
        """The condition in the supported subset (``${sex} = 'female'`` on a categorical
        question becomes its stored value), checked against earlier questions."""

        def by_value(m: re.Match) -> str:
            item = self.items.get(m.group(1))
            if item and item.kind == "choice":
                for lv in self.lists.get(item.scale, ()):
                    if lv.name == m.group(3):
                        return f"${{{m.group(1)}}} {m.group(2)} {lv.value}"
            return m.group(0)

        text = " ".join(text.split())
        text = _SELECTED.sub(
            lambda m: (
                m.group(0)
                if self.items.get(m.group(1)) is None or self.items[m.group(1)].kind == "multiple"
                else f"${{{m.group(1)}}} = '{m.group(2)}'"
            ),
            text,
        )
        text = _CHOICE_TEST.sub(by_value, text)
        self.fits(at, "relevant", text, 500)
        try:
            refs = referenced_items(parse_condition(text))
        except ConditionError as exc:
            self.c.add(at, str(exc))
            return None
        unknown = refs - set(self.items)
        if unknown:
            self.c.add(
                at,
                "relevant refers to {unknown}, not an earlier question",
                unknown=", ".join(sorted(unknown)),
            )
        comparable = {"scale", "choice", "integer", "decimal"}
        for code in sorted(refs - unknown):
            if self.items[code].kind not in comparable:
                self.c.add(
                    at,
                    "relevant compares {code}, a {kind} question: only select_one, integer and "
                    "decimal answers can be compared",
                    code=code,
                    kind=self.items[code].kind,
                )
        return text

    def with_groups(self, at: str, relevant: str | None, outer: list[str]) -> str | None:
        """A question's condition and those of the groups around it, all of which must hold."""
        parts = [*outer, *([relevant] if relevant else [])]
        if len(parts) > 1 and any(re.search(r"\sor\s", p) for p in parts):
            self.c.add(
                at,
                "a group's relevant and its question's relevant cannot be combined when one "
                "uses 'or' (conditions have no parentheses)",
            )
        combined = " and ".join(parts) or None
        self.fits(at, "relevant (with its groups')", combined, 500)
        return combined

    def range(self, at: str, text: str, kind: str) -> tuple[float | None, float | None]:
        if kind not in ("integer", "decimal"):
            self.c.add(
                at,
                "column 'constraint' is not supported (value '{text}'): constraints are "
                "supported only as ranges on integer and decimal questions",
                text=text,
            )
            return None, None
        low = high = None
        for part in re.split(r"\s+and\s+", text.strip()):
            m = _BOUND.match(part.strip())
            if m is None or (kind == "decimal" and m.group(1) in "<>"):
                self.c.add(
                    at,
                    "constraint '{text}' is not supported: only ranges such as '. >= 0 and . <= "
                    "120' (with >= and <=; > and < on integers)",
                    text=text,
                )
                return None, None
            number = float(m.group(2))
            if kind == "integer" and m.group(1) in ("<", ">") and number.is_integer():
                number += 1 if m.group(1) == ">" else -1
            if m.group(1).startswith(">"):
                low = number if low is None else max(low, number)
            else:
                high = number if high is None else min(high, number)
        return low, high
