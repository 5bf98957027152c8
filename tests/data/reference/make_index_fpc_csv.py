"""Write ``index_fpc_scores.csv``: the example responses as the index sees them.

One row per response: stratum, weight, the frame's population of its stratum, unit,
group, and its score on every survey sub-criterion (``set/sub`` columns, empty where it
has no valid item), from the index's own item fractions. ``reference_index_fpc.R``
reads it. Run from the repository root: ``python tests/data/reference/make_index_fpc_csv.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from aggregation.points import item_fractions, respondent_scores
from aggregation.sums import survey_items
from survey_app.cli import index_inputs as load

EXAMPLES = Path("tests/data/examples")
OUT = Path("tests/data/reference/index_fpc_scores.csv")


def main() -> None:
    scales = load.load_questionnaire(EXAMPLES / "questionnaire.yaml")
    sets = [load.load_criteria_set(EXAMPLES / f"criteria_set_{k}.yaml") for k in ("cuc", "vu")]
    r = load.load_responses(EXAMPLES / "responses.csv", scales)
    frame = load.load_frame(EXAMPLES / "frame.csv")
    cols = {item: j for j, item in enumerate(r.items)}
    names, scores = [], []
    for cs, sub in survey_items(sets):
        idx = [cols[i] for i in sub.items]
        fractions = item_fractions(r.answers[:, idx], [scales[i] for i in sub.items])
        names.append(f"{cs.code}/{sub.code}")
        scores.append(respondent_scores(fractions))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["stratum", "weight", "population", "unit", "group", *names])
        for k in range(r.n):
            values = ["" if np.isnan(s[k]) else repr(float(s[k])) for s in scores]
            out.writerow([r.stratum[k], repr(float(r.weight[k])), repr(frame[r.stratum[k]]),
                          r.unit[k], r.group[k], *values])  # fmt: skip


if __name__ == "__main__":
    main()
