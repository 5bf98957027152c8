"""The R reference case (tests/data/reference) and a field-by-field comparison."""

from __future__ import annotations

import math
from pathlib import Path

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"
ITEMS = [f"q{i}" for i in range(1, 9)]
#: R's raw svyciprop output is noise at p = 0 or 1 (docs/ESTIMATORS.md (c)); only the closed form
#: logit_low/logit_high is compared.
R_ONLY_FIELDS = {"svyciprop_logit_p", "svyciprop_logit_low", "svyciprop_logit_high",
                 "svyciprop_logit_agrees"}  # fmt: skip
#: In base q6/U01 every answer is 4; R's SE is float noise (2.7e-16) instead of 0, so its
#: deff (6e31), n_eff and p=1 intervals are noise. We return null with a reason there.
R_NOISE_ROW = ("base", "q6", "U01")
R_NOISE_FIELDS = {"deff", "n_eff_design", "logit_low", "logit_high", "beta_low", "beta_high",
                  "beta_n_eff"}  # fmt: skip


def row_key(section: str, row: dict) -> tuple:
    if section == "kish":
        return (row["design"], row["unit"])
    return (row.get("design", "unweighted"), row["item"], row["unit"])


def close(mine, ref, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    """Both null, or equal to ``rel`` relative / ``abs_`` absolute (bools and ints exactly)."""
    if ref is None or mine is None:
        return ref is None and mine is None
    if isinstance(ref, (bool, str)):
        return mine == ref and type(mine) is type(ref)
    return math.isclose(mine, ref, rel_tol=rel, abs_tol=abs_)


def mismatches(section: str, mine: list[dict], ref_rows: list[dict]) -> list[str]:
    """Every field of every reference row that ours does not match, as readable lines."""
    by_key = {row_key(section, r): r for r in mine}
    out = []
    for ref in ref_rows:
        key = row_key(section, ref)
        row = by_key.get(key)
        if row is None:
            out.append(f"{key}: row missing")
            continue
        for field, value in ref.items():
            if field in R_ONLY_FIELDS or (key[:3] == R_NOISE_ROW and field in R_NOISE_FIELDS):
                continue
            if field not in row:
                out.append(f"{key}: field {field} missing")
            elif not close(row[field], value):
                out.append(f"{key}.{field}: ours {row[field]!r}, R {value!r}")
    return out
