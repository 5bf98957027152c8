"""Persisting a run's figures, and reading them back as the ``parindex index`` document.

numpy is imported where a worker stores figures, not by ``parindex rounds aggregate``,
which only reads them back (a tenth of a second of its exit).
"""

from __future__ import annotations

import json

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.results.models import AggregationRun, SubCriterionResult, UnitResult
from survey_app.units.models import Unit


def store_payload(run: AggregationRun, payload: dict) -> None:
    """Add the unit and sub-criterion rows of ``payload`` to ``run`` (not committed)."""
    payload = json.loads(json.dumps(payload, default=_jsonable))
    units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    db.session.add_all(
        UnitResult(
            run_id=run.id,
            unit_id=units[row["unit"]],
            index_value=row["index"],
            index_se=row["index_se"],
            index_ci_low=row["index_ci_low"],
            index_ci_high=row["index_ci_high"],
            rank=row["rank"],
            rank_low=row["rank_low"],
            rank_high=row["rank_high"],
            data=row,
        )
        for row in payload["units"]
    )
    db.session.add_all(
        SubCriterionResult(
            run_id=run.id,
            unit_id=units[row["unit"]],
            subcriterion_code=row["subcriterion"],
            points=row["points"],
            se=row["se"],
            data=row,
        )
        for row in payload["subcriteria"]
    )
    run.summary = {"meta": payload["meta"], "summary": payload["summary"]}


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def run_payload(run: AggregationRun) -> dict:
    """The stored run as the JSON document of ``parindex index``."""
    units = {u.id: u.code for u in db.session.scalars(select(Unit))}
    rows = sorted(run.unit_results, key=lambda r: (r.data["kind"], r.rank, units[r.unit_id]))
    subs = sorted(run.subcriterion_results, key=lambda r: (units[r.unit_id], r.id))
    return {
        "meta": {
            **(run.summary or {}).get("meta", {}),
            "run": run.version,
            "inputs_hash": run.inputs_hash,
            "is_final": run.is_final,
        },
        "units": [r.data for r in rows],
        "subcriteria": [r.data for r in subs],
        "summary": (run.summary or {}).get("summary", []),
    }
