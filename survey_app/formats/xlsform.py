"""XLSForm questionnaires (ODK / KoboToolbox): the subset a PAR survey needs.

Supported: ``survey`` rows of type ``select_one LIST`` and ``begin group``/``end group``
(one level: a group is a section, shown as a page); ``label::Vietnamese (vi)`` and
``label::English (en)`` columns (a plain ``label`` stands in for a missing language);
``required``; simple ``relevant`` conditions (see
:mod:`survey_app.questionnaires.conditions`); a ``groups`` column naming the respondent
groups asked (space or comma separated). ``choices`` rows: ``list_name``, an integer
``name`` (the stored value), labels, an optional ``score`` (0–1) and ``missing`` (yes
for "don't know"). Without scores, a list's levels are scored evenly from 0 (lowest
value) to 1 (highest). ``settings``: ``form_id`` (the code) and ``form_title``.

Anything else (other question types, notes, metadata such as ``start`` or
``deviceid``, repeats, nested groups, constraints, calculations, choice filters …) is
reported with its sheet and row, and nothing is imported.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from survey_app.formats.problems import Collector, InvalidFile, Problem
from survey_app.formats.questionnaire_yaml import (
    ItemSpec,
    LevelSpec,
    QuestionnaireSpec,
    SectionSpec,
)
from survey_app.formats.xlsxfile import open_workbook, sheet_rows
from survey_app.questionnaires.conditions import ConditionError, parse_condition, referenced_items

_LANG = re.compile(r"^(label|form_title)(?:::(?:.*\()?(vi|en)\)?)?$", re.IGNORECASE)
_YES, _NO = {"yes", "true", "true()", "1"}, {"", "no", "false", "false()", "0"}
SURVEY_COLUMNS = {"type", "name", "required", "relevant", "groups"}
CHOICE_COLUMNS = {"list_name", "name", "score", "missing"}


def parse_xlsform(data: bytes, name: str) -> QuestionnaireSpec:
    """Read and validate an XLSForm workbook; ``InvalidFile`` lists every problem."""
    book = open_workbook(data, name)
    sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
    missing = [s for s in ("survey", "choices") if s not in sheets]
    if missing:
        raise InvalidFile(name, [Problem("workbook", f"missing sheet(s): {', '.join(missing)}")])
    c = Collector()
    code, title_vi, title_en = _settings(c, sheets.get("settings"))
    scales = _choices(c, list(sheet_rows(sheets["choices"])))
    sections = _survey(c, list(sheet_rows(sheets["survey"])), scales, (title_vi, title_en))
    c.raise_if_any(name)
    note = f"XLSForm {name} (sha256 {hashlib.sha256(data).hexdigest()})"
    return QuestionnaireSpec(code, title_vi, title_en, scales, sections, note)


def _labels(row: dict) -> dict[str, str]:
    """{'vi': …, 'en': …} from the label columns of a row (plain ``label`` fills gaps)."""
    out, plain = {}, ""
    for col, value in row.items():
        m = _LANG.match(col)
        if m and m.group(2):
            out[m.group(2).lower()] = value
        elif m:
            plain = value
    return {lang: out.get(lang) or plain for lang in ("vi", "en")}


def _unsupported_columns(c: Collector, at: str, row: dict, known: set[str]) -> None:
    for col, value in row.items():
        if col == "__extra__" or _LANG.match(col) or col in known or not value:
            continue
        c.add(at, f"column '{col}' is not supported (value '{value}')")


def _settings(c: Collector, sheet) -> tuple[str, str, str]:
    rows = list(sheet_rows(sheet)) if sheet is not None else []
    row = rows[0][1] if rows else {}
    code = row.get("form_id", "")
    if not code:
        c.add("settings row 2", "form_id (the questionnaire code) is missing")
    titles = {lang: "" for lang in ("vi", "en")}
    for col, value in row.items():
        m = _LANG.match(col)
        if m and m.group(1).lower() == "form_title":
            for lang in [m.group(2).lower()] if m.group(2) else ["vi", "en"]:
                titles[lang] = titles[lang] or value
    return code, titles["vi"] or code, titles["en"] or code


def _choices(c: Collector, rows) -> dict[str, tuple[LevelSpec, ...]]:
    lists: dict[str, list] = defaultdict(list)
    for number, row in rows:
        at = f"choices row {number}"
        _unsupported_columns(c, at, row, CHOICE_COLUMNS)
        level = _choice(c, at, row)
        if level and row.get("list_name"):
            lists[row["list_name"]].append((at, level))
        elif level:
            c.add(at, "list_name is missing")
    return {name: _scored(c, name, levels) for name, levels in lists.items()}


def _choice(c: Collector, at: str, row: dict):
    labels = _labels(row)
    value = row.get("name", "")
    if not value.lstrip("-").isdigit():
        c.add(at, f"choice name '{value}' must be a whole number (the value stored)")
        return None
    if not labels["vi"] or not labels["en"]:
        c.add(at, "a choice needs a Vietnamese and an English label")
    missing = row.get("missing", "").lower()
    if missing not in _YES | _NO:
        c.add(at, f"missing must be yes or no, got '{row['missing']}'")
    score = None
    if row.get("score"):
        try:
            score = float(row["score"])
        except ValueError:
            c.add(at, f"score '{row['score']}' is not a number")
        else:
            if not 0 <= score <= 1:
                c.add(at, f"score must be between 0 and 1, got {score:g}")
    return {
        "value": int(value),
        "vi": labels["vi"],
        "en": labels["en"],
        "score": score,
        "missing": missing in _YES,
    }


def _scored(c: Collector, name: str, levels: list) -> tuple[LevelSpec, ...]:
    scored = [lv for _, lv in levels if not lv["missing"]]
    given = [lv["score"] is not None for lv in scored]
    if any(given) and not all(given):
        c.add(levels[0][0], f"list '{name}': give a score to every level or to none")
    if any(lv["score"] is not None for _, lv in levels if lv["missing"]):
        c.add(levels[0][0], f"list '{name}': a 'missing' level has no score")
    if len({lv["value"] for _, lv in levels}) != len(levels):
        c.add(levels[0][0], f"list '{name}' repeats a value")
    if not any(given) and scored:
        ordered = sorted(lv["value"] for lv in scored)
        step = 1 / (len(ordered) - 1) if len(ordered) > 1 else 0
        defaults = {v: round(i * step, 6) for i, v in enumerate(ordered)}
        for lv in scored:
            lv["score"] = defaults[lv["value"]] if len(ordered) > 1 else 1.0
    return tuple(
        LevelSpec(
            lv["value"], lv["vi"], lv["en"], None if lv["missing"] else lv["score"], lv["missing"]
        )
        for _, lv in levels
    )


def _survey(c: Collector, rows, scales: dict, title: tuple[str, str]) -> tuple[SectionSpec, ...]:
    sections: list[tuple[tuple[str, str], list[ItemSpec]]] = [(title, [])]
    in_group, seen = False, set()
    for number, row in rows:
        at = f"survey row {number}"
        kind = " ".join(row.get("type", "").replace("_", " ").split()).lower()
        if kind == "begin group":
            if in_group:
                c.add(at, "nested groups are not supported (one level: a group is a page)")
            labels = _labels(row)
            sections.append(
                ((labels["vi"] or row.get("name", ""), labels["en"] or row.get("name", "")), [])
            )
            in_group = True
        elif kind == "end group":
            in_group = False
        elif kind.startswith("select one ") and kind.count(" ") == 2:
            item = _item(c, at, row, kind.split(" ")[2], scales, seen)
            if item:
                sections[-1][1].append(item)
                seen.add(item.code)
        else:
            c.add(
                at,
                f"question type '{row.get('type', '')}' is not supported "
                "(only select_one LIST, begin group and end group)",
            )
    out = tuple(SectionSpec(t[0], t[1], tuple(items)) for t, items in sections if items)
    if not out and not c.problems:
        c.add("survey", "the form has no select_one questions")
    return out


def _item(c: Collector, at: str, row: dict, list_name: str, scales: dict, seen: set):
    _unsupported_columns(c, at, row, SURVEY_COLUMNS)
    code, labels = row.get("name", ""), _labels(row)
    if not re.fullmatch(r"[A-Za-z_][\w.-]{0,31}", code):
        c.add(at, f"name '{code}' is not a valid question code")
    elif code in seen:
        c.add(at, f"duplicate question name '{code}'")
    if not labels["vi"] or not labels["en"]:
        c.add(at, "a question needs a Vietnamese and an English label")
    if list_name not in scales:
        c.add(at, f"choice list '{list_name}' is not on the choices sheet")
    required = row.get("required", "").lower()
    if required not in _YES | _NO:
        c.add(at, f"required must be yes or no, got '{row['required']}'")
    groups = tuple(g for g in re.split(r"[\s,]+", row.get("groups", "")) if g)
    if not groups:
        c.add(at, "the groups column must name the respondent groups asked")
    relevant = row.get("relevant") or None
    if relevant:
        _check_relevant(c, at, relevant, seen)
    return ItemSpec(code, labels["vi"], labels["en"], list_name, groups, required in _YES, relevant)


def _check_relevant(c: Collector, at: str, text: str, seen: set) -> None:
    try:
        unknown = referenced_items(parse_condition(text)) - seen
    except ConditionError as exc:
        c.add(at, str(exc))
        return
    if unknown:
        c.add(at, f"relevant refers to {', '.join(sorted(unknown))}, not an earlier question")
