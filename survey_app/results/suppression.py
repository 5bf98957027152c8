"""What the public may see of a unit's sub-criterion rows: small groups hidden so that
they cannot be recomputed from anything else that is published (complementary suppression).

A survey sub-criterion's points are ``max × Σ_g α_g mean_g`` over the groups that
answered, and an area's component index is ``100 × Σ points / Σ max`` of its
sub-criteria. Hiding only a small group's mean leaves it one subtraction away: from the
points, the other groups' means and the criteria set's weights α; and hiding the points
too leaves them one subtraction away from the area's component index. So, for the public:

1. a survey row of a unit with a group of ``0 < n < t`` respondents is **withheld**: its
   points, SE and confidence interval, and the mean and SE of *every* group, are null,
   each group marked ``suppressed``; ``n`` is published only where it is at least ``t``;
2. an area of the unit where that leaves exactly one survey row withheld has a second one
   withheld with it (the one with the fewest maximum points), so the area's component
   index gives only the sum of two rows' points, never one row's.

``t = max(criteria set's minimum of respondents per group, PARINDEX_MIN_CELL_SIZE)``.
Index values, component indexes, ranks and the unit's survey points stay published: they
are the product. Limits (docs/ROUNDS.md, "Published results"): an area whose only survey
sub-criterion is withheld still has its points given by the component index, so a
withheld group that is the only one to have answered there is given too.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from survey_app.criteria.models import CriteriaSet

#: The figures of a withheld row that are set to null.
ROW_FIGURES = ("points", "se", "ci_low", "ci_high")


def threshold(cs: CriteriaSet) -> int:
    """Fewest respondents behind a published group figure (and a published ``n``)."""
    return max(cs.min_group_respondents, int(current_app.config.get("MIN_CELL_SIZE", 5)))


def has_small_group(row: dict[str, Any], t: int) -> bool:
    return any(0 < est["n"] < t for est in (row.get("groups") or {}).values())


def public_rows(rows: dict[str, dict[str, Any]], cs: CriteriaSet) -> dict[str, dict[str, Any]]:
    """One unit's rows (sub-criterion code → stored row) as the public may see them."""
    t = threshold(cs)
    withheld = {
        code for code, row in rows.items() if row["source"] == "survey" and has_small_group(row, t)
    }
    for area in cs.areas:
        survey = [
            s
            for c in area.criteria
            for s in c.subcriteria
            if s.source == "survey" and s.code in rows
        ]
        hidden = [s for s in survey if s.code in withheld]
        others = sorted((s for s in survey if s.code not in withheld), key=_smallest)
        if len(hidden) == 1 and others:
            withheld.add(others[0].code)
    return {code: withhold(row, t) if code in withheld else row for code, row in rows.items()}


def _smallest(sub) -> tuple[float, str]:
    return (sub.max_points, sub.code)


def withhold(row: dict[str, Any], t: int) -> dict[str, Any]:
    """``row`` with its points and every group's figures withheld; ``n`` kept where ≥ t."""
    groups = {
        g: {"n": est["n"] if est["n"] == 0 or est["n"] >= t else None}
        | {"mean": None, "se": None, "suppressed": True}
        for g, est in (row.get("groups") or {}).items()
    }
    return {**row, **dict.fromkeys(ROW_FIGURES), "groups": groups or None, "suppressed": True}
