"""An SE that is rounding noise keeps its number and gets a reason (docs/ESTIMATORS.md (g))."""

from __future__ import annotations

import numpy as np

from aggregation import estimates as R
from aggregation.domains import estimate_domains


def test_raked_margin_reproduced_exactly_has_se_flagged_as_rounding(survey, design, raking_spec):
    sex = raking_spec.codes[0].astype(float)  # an item that is the raking variable itself
    answers = np.column_stack([sex + 1, survey["answers"][:, 0]])
    result = estimate_domains(design, survey["unit"], answers, units=survey["units"],
                              items=("sex_item", "q1"), raking=raking_spec)  # fmt: skip
    whole = next(r for r in result.means if (r.item, r.unit) == ("sex_item", R.ALL))
    assert whole.se is not None and whole.se < 1e-8 * whole.mean
    assert whole.se_reason == R.SE_ROUNDING
    by_unit = [r for r in result.means if r.item == "sex_item" and r.unit != R.ALL]
    assert by_unit and all(r.se_reason is None for r in by_unit if r.se and r.se > 1e-6)
    assert all(r.se_reason is None for r in result.means if r.item == "q1")


def test_constant_item_keeps_its_own_reason_not_the_noise_one(base_result):
    row = next(r for r in base_result.means if (r.item, r.unit) == ("q6", "U01"))
    assert row.se == 0.0 and row.se_reason is None and row.deff_reason == R.ALL_EQUAL
