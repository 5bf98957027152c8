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
    items: list[str]
    attributes: list[str]
    #: column → label (item text for items)
    variable_labels: dict[str, str] = field(default_factory=dict)
    #: item → {value: label}
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    #: item → values that mean "don't know" (user-missing)
    missing_values: dict[str, list[int]] = field(default_factory=dict)


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
    items = rnd.questionnaire.items()
    codes = [i.code for i in items]
    design = _design(rnd)
    attributes = sorted({k for attrs in design["attributes"] for k in attrs})
    frame = design[list(DESIGN[:-1])].copy()
    frame["weight"] = base_weights(rnd, frame["stratum"].tolist())
    for name in attributes:
        frame[name] = [attrs.get(name) for attrs in design["attributes"]]
    answers = pd.DataFrame(design["answers"].tolist(), columns=codes).astype("Int64")
    frame = pd.concat([frame.reset_index(drop=True), answers], axis=1)
    data = Microdata(frame, codes, attributes)
    data.variable_labels = {k: gettext(v, lang) for k, v in DESIGN_LABELS.items()}
    data.variable_labels |= {a: a for a in attributes} | {i.code: i.text(lang) for i in items}
    for item in items:
        levels = item.scale.levels
        data.value_labels[item.code] = {
            lv.value: (lv.label_en if lang == "en" else lv.label_vi) for lv in levels
        }
        data.missing_values[item.code] = [lv.value for lv in levels if lv.is_missing]
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
