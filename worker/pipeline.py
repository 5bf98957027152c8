"""The aggregation pipeline: load a round → ``aggregation`` → persist a versioned run."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from sqlalchemy import func, select

from aggregation.index import compute_index
from aggregation.inputs import IndexInputs
from aggregation.ranking import DEFAULT_DRAWS, DEFAULT_SEED
from aggregation.report import index_payload
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.results.models import AggregationRun, SubCriterionResult, UnitResult
from survey_app.rounds.models import Round
from survey_app.units.models import Unit
from worker.loading import load_round_inputs
from worker.locks import round_lock


def code_version() -> str:
    try:
        return version("parindex")
    except PackageNotFoundError:  # running from a source tree
        return "source"


def methodology(seed: int = DEFAULT_SEED, draws: int = DEFAULT_DRAWS) -> dict:
    return {
        "estimator": "R survey linearisation (ESTIMATORS.md a, e)",
        "level": 0.95,
        "rank_interval": "simulation",
        "seed": seed,
        "draws": draws,
        "weights": "frame population / responses per stratum",
    }


def inputs_hash(inputs: IndexInputs, method: dict) -> str:
    """SHA-256 of everything the figures depend on (order of rows included)."""
    h = hashlib.sha256()
    r = inputs.responses
    for arr in (r.unit, r.group, r.stratum, r.psu):
        h.update("\x1f".join(arr.tolist()).encode())
    h.update(np.ascontiguousarray(r.weight).tobytes())
    h.update(np.ascontiguousarray(r.answers).tobytes())
    rest = {
        "sets": [asdict(cs) for cs in inputs.criteria_sets],
        "units": dict(inputs.units),
        "scales": {
            k: {str(v): s for v, s in sc.scores.items()} for k, sc in inputs.item_scales.items()
        },
        "self": [asdict(s) for s in inputs.self_scores],
        "bonus": [asdict(b) for b in inputs.bonus_penalty],
        "previous": dict(inputs.previous),
        "ministry": inputs.ministry_index,
        "items": list(r.items),
        "method": method,
        "code": code_version(),
    }
    h.update(json.dumps(rest, sort_keys=True, default=str).encode())
    return h.hexdigest()


def aggregate_round(
    round_id: int, *, is_final: bool = False, seed: int = DEFAULT_SEED, draws: int = DEFAULT_DRAWS
) -> AggregationRun:
    """Compute and store the round's figures, once at a time per round.

    A run with the same inputs hash is returned as it is: re-running on unchanged
    inputs reproduces the same figures and writes no rows.
    """
    with round_lock(round_id):
        rnd = db.session.get(Round, round_id)
        if rnd is None:
            raise LookupError(f"no round {round_id}")
        timings, t0 = {}, time.perf_counter()
        inputs = load_round_inputs(rnd)
        timings["load"] = time.perf_counter() - t0
        method = methodology(seed, draws)
        digest = inputs_hash(inputs, method)
        same = db.session.scalar(
            select(AggregationRun).where(
                AggregationRun.round_id == round_id,
                AggregationRun.inputs_hash == digest,
                AggregationRun.state == "done",
                AggregationRun.is_final == is_final,
            )
        )
        if same is not None:
            return same
        run = _new_run(rnd, digest, method, is_final)
        _compute_and_store(run, inputs, seed, draws, timings)
        return run


def _new_run(rnd: Round, digest: str, method: dict, is_final: bool) -> AggregationRun:
    last = (
        db.session.scalar(
            select(func.max(AggregationRun.version)).where(AggregationRun.round_id == rnd.id)
        )
        or 0
    )
    run = AggregationRun(
        round_id=rnd.id,
        version=last + 1,
        state="running",
        is_final=is_final,
        inputs_hash=digest,
        code_version=code_version(),
        methodology=method,
        started_at=utcnow(),
        chunks_total=1,
    )
    db.session.add(run)
    db.session.commit()
    return run


def _compute_and_store(
    run: AggregationRun, inputs: IndexInputs, seed: int, draws: int, timings: dict
) -> None:
    try:
        t0 = time.perf_counter()
        result = compute_index(inputs, seed=seed, draws=draws)
        timings["compute"] = time.perf_counter() - t0
        payload = index_payload(result, inputs)
        t0 = time.perf_counter()
        _store(run, payload)
        timings["persist"] = time.perf_counter() - t0
        run.state, run.chunks_done, run.timings = "done", 1, timings
    except Exception as exc:
        db.session.rollback()
        run = db.session.get(AggregationRun, run.id)
        run.state, run.error = "failed", f"{type(exc).__name__}: {exc}"
        run.finished_at = utcnow()
        db.session.commit()
        raise
    run.finished_at = utcnow()
    db.session.commit()


def _store(run: AggregationRun, payload: dict) -> None:
    payload = json.loads(json.dumps(payload, default=_jsonable))
    units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    for row in payload["units"]:
        db.session.add(
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
        )
    for row in payload["subcriteria"]:
        db.session.add(
            SubCriterionResult(
                run_id=run.id,
                unit_id=units[row["unit"]],
                subcriterion_code=row["subcriterion"],
                points=row["points"],
                se=row["se"],
                data=row,
            )
        )
    run.summary = {"meta": payload["meta"], "summary": payload["summary"]}


def _jsonable(value):
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
