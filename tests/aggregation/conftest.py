"""The reference survey as arrays, and its base and raked estimates (computed once)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from aggregation.design import make_design
from aggregation.domains import RakingSpec, estimate_domains
from tests.reference import ITEMS, REFERENCE_DIR


def _codes(values: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    labels = tuple(sorted(set(values)))
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[v] for v in values], dtype=np.int64), labels


@pytest.fixture(scope="session")
def survey() -> dict:
    with open(REFERENCE_DIR / "survey_2k.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    col = {name: [r[name] for r in rows] for name in rows[0]}
    unit, units = _codes(col["unit"])
    answers = np.array([[np.nan if v == "NA" else float(v) for v in col[i]] for i in ITEMS]).T
    return {
        "n": len(rows),
        "unit": unit,
        "units": units,
        "answers": answers,
        "weight": np.array(col["base_weight"], dtype=float),
        "stratum": np.array(col["stratum"]),
        "psu": np.array(col["psu"]),
        "sex": _codes(col["sex"]),
        "age_band": _codes(col["age_band"]),
    }


@pytest.fixture(scope="session")
def margins() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with open(REFERENCE_DIR / "survey_2k_margins.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["variable"], {})[row["level"]] = float(row["count"])
    return out


@pytest.fixture(scope="session")
def design(survey):
    return make_design(survey["n"], survey["weight"], survey["stratum"], survey["psu"])


@pytest.fixture(scope="session")
def raking_spec(survey, margins) -> RakingSpec:
    names = ("sex", "age_band")
    return RakingSpec(
        names=names,
        codes=tuple(survey[v][0] for v in names),
        levels=tuple(survey[v][1] for v in names),
        targets=tuple(margins[v] for v in names),
    )


def run(survey, design, **kwargs):
    return estimate_domains(
        design, survey["unit"], survey["answers"], units=survey["units"], items=ITEMS, **kwargs
    )


@pytest.fixture(scope="session")
def base_result(survey, design):
    return run(survey, design)


@pytest.fixture(scope="session")
def raked_result(survey, design, raking_spec):
    return run(survey, design, raking=raking_spec)
