"""A round's anonymised responses in the FORMATS.md layout, with labels for SPSS and Stata.

``response_id,unit,group,stratum,psu,weight[,attributes…],items…``: the id is random,
no date, channel or invitation is exported. The weight is the base weight of
FORMATS.md: population of the stratum / responses received in it (1 without a frame).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.i18n import gettext
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from survey_app.units.models import Unit

DESIGN = ("response_id", "unit", "group", "stratum", "psu", "weight")
DESIGN_LABELS = {
    "response_id": "Response id (random)",
    "unit": "Unit rated",
    "group": "Respondent group",
    "stratum": "Sampling stratum",
    "psu": "Primary sampling unit",
    "weight": "Base weight: stratum population / responses in the stratum",
}


class ExportError(Exception):
    """The round's data cannot be exported as asked; the message says why."""


@dataclass
class Microdata:
    """Responses one per row, and what each column and value means."""

    frame: pd.DataFrame
    #: numeric answer columns (scales, categorical codes, numbers, one 0/1 per choice of a
    #: multiple choice)
    items: list[str]
    attributes: list[str]
    #: column → label (item text for items)
    variable_labels: dict[str, str] = field(default_factory=dict)
    #: item → {value: label}
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    #: item → values that mean "don't know" (user-missing)
    missing_values: dict[str, list[int]] = field(default_factory=dict)
    #: text answer columns (text, dates as YYYY-MM-DD, a multiple choice's names)
    texts: list[str] = field(default_factory=list)
    #: SPSS measure of each answer column (ordinal scales, nominal codes, scale numbers)
    measures: dict[str, str] = field(default_factory=dict)


def base_weights(rnd: Round, strata: list[str]) -> list[float]:
    """FORMATS.md: population of the stratum / responses received in it; 1 without a frame."""
    if not rnd.frame:
        return [1.0] * len(strata)
    population = {f.stratum: f.population for f in rnd.frame}
    unknown = sorted(set(strata) - set(population))
    if unknown:
        raise ExportError(f"stratum '{unknown[0]}' has responses but is not in the sampling frame")
    counts = Counter(strata)
    return [population[s] / counts[s] for s in strata]


def load_microdata(rnd: Round, lang: str = "vi") -> Microdata:
    """Every answered kind of item: a scale or categorical question as its code (with value
    labels), a number as a number, a text or date as text, and a multiple choice as its
    choice names (as XLSForm tools export it) plus one 0/1 column per choice."""
    items = [i for i in rnd.questionnaire.items() if i.kind != "note"]
    design = _design(rnd)
    keys = sorted({k for attrs in design["attributes"] for k in attrs})
    # an attribute of the respondent list named like a question (``sex``) is prefixed
    codes = {i.code for i in items}
    named = {k: f"attr_{k}" if k in codes else k for k in keys}
    attributes = [named[k] for k in keys]
    frame = design[list(DESIGN[:-1])].copy()
    frame["weight"] = base_weights(rnd, frame["stratum"].tolist())
    for key in keys:
        frame[named[key]] = [attrs.get(key) for attrs in design["attributes"]]
    answers = design["answers"].tolist()
    data = Microdata(frame, [], attributes)
    data.variable_labels = {k: gettext(v, lang) for k, v in DESIGN_LABELS.items()}
    data.variable_labels |= {a: a for a in attributes}
    columns: dict[str, pd.Series | list] = {}
    for item in items:
        text = item.text(lang)
        levels = item.scale.levels if item.scale else []
        labels = {lv.value: (lv.label_en if lang == "en" else lv.label_vi) for lv in levels}
        given = [a.get(item.code) for a in answers]
        if item.kind == "multiple":
            names = {lv.value: lv.name or str(lv.value) for lv in levels}
            columns[item.code] = [
                " ".join(names.get(v, str(v)) for v in g) if g else None for g in given
            ]
            data.texts.append(item.code)
            data.variable_labels[item.code] = text
            data.measures[item.code] = "nominal"
            for lv in levels:
                col = f"{item.code}_{names[lv.value]}"
                columns[col] = pd.array(
                    [None if g is None else int(lv.value in g) for g in given], dtype="Int64"
                )
                data.items.append(col)
                data.variable_labels[col] = f"{text}: {labels[lv.value]}"
                data.measures[col] = "nominal"
            continue
        data.variable_labels[item.code] = text
        if item.kind in ("text", "date"):
            columns[item.code] = given
            data.texts.append(item.code)
            data.measures[item.code] = "nominal"
            continue
        dtype = "Float64" if item.kind == "decimal" else "Int64"
        columns[item.code] = pd.array(given, dtype=dtype)
        data.items.append(item.code)
        data.measures[item.code] = {"scale": "ordinal", "choice": "nominal"}.get(item.kind, "scale")
        if levels:
            data.value_labels[item.code] = labels
            data.missing_values[item.code] = [lv.value for lv in levels if lv.is_missing]
    answers_frame = pd.DataFrame(columns, index=range(len(answers)))
    data.frame = pd.concat([frame.reset_index(drop=True), answers_frame], axis=1)
    return data


def _design(rnd: Round) -> pd.DataFrame:
    stmt = (
        select(
            Response.id,
            Unit.code,
            Response.group_code,
            Response.stratum,
            Response.psu,
            Response.attributes,
            Response.answers,
        )
        .join(Unit, Unit.id == Response.unit_id)
        .where(Response.round_id == rnd.id)
        .order_by(Response.id)
    )
    rows = db.session.execute(stmt).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=[*DESIGN[:-1], "attributes", "answers"]
    ).astype({"attributes": object, "answers": object})
