"""The aggregation pipeline: plan a run in chunks → map each chunk → reduce and persist.

Each step is a job (an outbox row) so that steps spread over workers and machines, and a
step that dies with its worker is handed out again. The database holds every
intermediate result: a chunk's sums are stored once (a redelivered map is a no-op), the
reduce is enqueued once (a unique job key), and at most one run per round is active
(a unique partial index).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from aggregation.index import compute_index
from aggregation.inputs import IndexInputError, IndexInputs
from aggregation.ranking import DEFAULT_DRAWS, DEFAULT_SEED
from aggregation.report import FPC_DESIGN, PSU_DESIGN, index_payload
from aggregation.sums import IndexSums, map_responses, merge
from aggregation.survey import reduce_survey
from survey_app.core import jobs
from survey_app.core.db import utcnow
from survey_app.core.models import Job
from survey_app.extensions import db
from survey_app.results.chunks import AggregationChunk
from survey_app.results.models import AggregationRun
from survey_app.rounds.models import Round
from worker import store
from worker.loading import (  # noqa: F401  (CHUNK_SIZE is re-exported)
    CHUNK_SIZE,
    DESIGN,
    RAKE,
    chunk_responses,
    empty_chunk,
    load_context,
    plan_bounds,
    planned_counts,
    planned_weights,
    raking_plan,
    raking_sources,
    strata_plan,
    streamed_chunk,
    survey_context,
)
from worker.store import run_payload  # noqa: F401  (re-exported for callers)


def code_version() -> str:
    try:
        return version("parindex")
    except PackageNotFoundError:  # running from a source tree
        return "source"


def methodology(
    seed: int = DEFAULT_SEED,
    draws: int = DEFAULT_DRAWS,
    raking: dict | None = None,
    strata: list | None = None,
    fpc: bool = False,
    exclude_bursts: bool = False,
) -> dict:
    out = {
        "estimator": "R survey linearisation (docs/ESTIMATORS.md a, e)",
        "level": 0.95,
        "rank_interval": "simulation",
        "seed": seed,
        "draws": draws,
        "weights": "frame population / responses per stratum",
        "design": FPC_DESIGN if fpc else PSU_DESIGN,
        "fpc": fpc,
    }
    if raking is not None:
        out["weights"] += (
            ", raked to the round's margins (" + ", ".join(raking["variables"]) + "); "
            "standard errors treat the raked weights as fixed"
        )
        out["raking"] = raking  # the raked weight of every (stratum, levels) cell
    else:
        out["strata"] = strata or []  # [stratum, responses, weight] planned before the map
    if exclude_bursts:  # absent otherwise: earlier runs' inputs hashes stay as they were
        out["exclude_bursts"] = True
        out["responses"] = "responses marked as from a burst on an open link left out"
    return out


class RunBusy(RuntimeError):
    """Another run of the round is queued or running."""


def start_run(
    round_id: int,
    *,
    is_final: bool = False,
    chunk_size: int = CHUNK_SIZE,
    seed: int = DEFAULT_SEED,
    draws: int = DEFAULT_DRAWS,
    exclude_bursts: bool = False,
) -> AggregationRun:
    """Create a run and its chunks; returns the round's active run if there is one.

    ``exclude_bursts``: leave out the responses marked as from a burst on an open link
    (``Response.is_burst``); recorded in the run's methodology, which every chunk reads."""
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise LookupError(f"no round {round_id}")
    active = _active_run(round_id)
    if active is not None:
        return active
    problem, strata = None, None
    try:
        plan = raking_plan(rnd, exclude_bursts)
        if plan is None:
            strata = strata_plan(rnd, exclude_bursts)
    except ValueError as exc:  # DesignError, IndexInputError: the run fails and says why
        plan, problem = None, exc
    method = methodology(
        seed, draws, plan, strata, fpc=bool(rnd.frame), exclude_bursts=exclude_bursts
    )
    # the plan counted the responses it weighted: no second count of the round
    n = int(sum(planned_counts(method).values())) if problem is None else 0
    bounds = plan_bounds(round_id, n, chunk_size) if n else []
    last = (
        db.session.scalar(
            select(func.max(AggregationRun.version)).where(AggregationRun.round_id == round_id)
        )
        or 0
    )
    run = AggregationRun(
        round_id=round_id,
        version=last + 1,
        state="running",
        is_final=is_final,
        code_version=code_version(),
        methodology=method,
        started_at=utcnow(),
        chunks_total=len(bounds),
        chunks_done=0,
        timings={},
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:  # another scheduler or click created it a moment ago
        db.session.rollback()
        return _active_run(round_id)
    if problem is not None:
        db.session.commit()
        _fail(run.id, problem)
        return run
    for no, (first, nxt) in enumerate(zip(bounds, [*bounds[1:], None], strict=True)):
        db.session.add(AggregationChunk(run_id=run.id, chunk_no=no, first_id=first, next_id=nxt))
        jobs.enqueue(
            jobs.MAP_CHUNK, {"run_id": run.id, "chunk_no": no}, dedupe_key=f"map:{run.id}:{no}"
        )
    if not bounds:
        jobs.enqueue(jobs.REDUCE_RUN, {"run_id": run.id}, dedupe_key=f"reduce:{run.id}")
    db.session.commit()
    return run


def _active_run(round_id: int) -> AggregationRun | None:
    return db.session.scalar(
        select(AggregationRun).where(
            AggregationRun.round_id == round_id, AggregationRun.state.in_(("queued", "running"))
        )
    )


def map_chunk(run_id: int, chunk_no: int) -> bool:
    """Store the sums of one chunk (once); enqueue the reduce after the last chunk.

    Returns True when this call completed the run's last chunk.
    """
    chunk = db.session.scalar(
        select(AggregationChunk).where(
            AggregationChunk.run_id == run_id, AggregationChunk.chunk_no == chunk_no
        )
    )
    run = db.session.get(AggregationRun, run_id)
    if chunk is None or run is None or run.state != "running":
        return False
    if chunk.sums is None:
        t0 = time.perf_counter()
        rnd = db.session.get(Round, run.round_id)
        context = _run_context(run, rnd)
        items = tuple(context.item_scales)
        raking = run.methodology.get("raking")
        sources = raking_sources(rnd.questionnaire, raking["variables"]) if raking else ()
        excluded = run.methodology.get("exclude_bursts", False)
        # Each batch is mapped as it arrives while the database sends the next (a reader
        # thread in this process: still one worker process), and the batches' sums merged.
        # A batch that cannot be mapped (new responses, bad inputs) leaves the chunk to
        # be mapped whole afterwards, as one, so that it fails as it always did.
        batches, parts, problem, mapping = [], [], None, 0.0
        digest = ChunkDigest()
        with streamed_chunk(run.round_id, chunk.first_id, chunk.next_id, items, sources,
                            excluded) as stream:  # fmt: skip
            for batch in stream:
                at = time.perf_counter()
                batches.append(batch)
                digest.update(batch.drop_columns(_rake_columns(batch)))
                if batch.num_rows and problem is None:
                    sums, problem = _chunk_sums(context, batch, items, run.methodology, sources)
                    parts.append(sums)
                mapping += time.perf_counter() - at
        wide = pa.concat_tables(batches)
        loaded = time.perf_counter()
        if problem is not None or not parts:
            sums, problem = _chunk_sums(context, wide, items, run.methodology, sources)
            if problem is not None:
                _fail(run_id, problem)
                return False
        else:
            sums = parts[0] if len(parts) == 1 else merge(parts)
        db.session.execute(
            update(AggregationChunk)
            .where(AggregationChunk.id == chunk.id, AggregationChunk.sums.is_(None))
            .values(
                sums=sums.to_bytes(),
                digest=digest.hexdigest(),
                n_responses=wide.num_rows,
                mapped_at=utcnow(),
            )
        )
        # load: the time spent waiting for rows and parsing them; map: the rest
        load = loaded - t0 - mapping
        _add_timing(run_id, load=load, map=time.perf_counter() - t0 - load)
    return _count_done(run_id)


#: The survey context of the run this process mapped a chunk of last: its key and value.
_CONTEXT: list = [None, None]


def _run_context(run: AggregationRun, rnd: Round) -> IndexInputs:
    """:func:`survey_context` once per run in this process, not once per chunk (a walk of
    the round's criteria sets, units and scales through the ORM)."""
    key = (str(db.engine.url), run.id, run.started_at)
    if _CONTEXT[0] != key:
        _CONTEXT[:] = [key, survey_context(rnd)]
    return _CONTEXT[1]


def _chunk_sums(context: IndexInputs, table: pa.Table, items, plan: dict, sources):
    """(the sums of some responses of a chunk, None), or (None, why the run fails: a
    response the plan did not weight, or bad inputs)."""
    weight = planned_weights(table, plan, sources)
    if weight is None:
        return None, ValueError(_CHANGED)
    table = table.drop_columns(_rake_columns(table))
    try:
        responses = chunk_responses(table, items, weight)
        return map_responses(context, responses, element=plan.get("fpc", False)), None
    except IndexInputError as exc:
        return None, exc


def _rake_columns(table: pa.Table) -> list[str]:
    """The columns of a chunk that only weighting reads (not digested, not mapped)."""
    return [c for c in table.column_names if c.startswith(RAKE)]


def _count_done(run_id: int) -> bool:
    done_subq = (
        select(func.count())
        .select_from(AggregationChunk)
        .where(AggregationChunk.run_id == run_id, AggregationChunk.sums.is_not(None))
        .scalar_subquery()
    )
    db.session.execute(
        update(AggregationRun).where(AggregationRun.id == run_id).values(chunks_done=done_subq)
    )
    run = db.session.get(AggregationRun, run_id)
    db.session.refresh(run)
    complete = run.chunks_done >= run.chunks_total
    if complete:
        jobs.enqueue(jobs.REDUCE_RUN, {"run_id": run_id}, dedupe_key=f"reduce:{run_id}")
    db.session.commit()
    return complete


class ChunkDigest:
    """SHA-256 of a chunk's rows in the order read, fed batch by batch as they arrive (while
    the database sends the next), so that no sort or second pass over the chunk is left
    for after its last row.

    Each design column (ids first) is hashed as its values joined by "\\x1f" in UTF-8, the
    answers as their bytes (float64, row-major, nan where not answered); the digest is the
    SHA-256 of those six hashes in that order. Batches of any size give the same digest.
    """

    def __init__(self) -> None:
        self._parts = [hashlib.sha256() for _ in range(len(DESIGN) + 1)]
        self._rows = 0

    def update(self, table: pa.Table) -> ChunkDigest:
        if not table.num_rows:
            return self
        for h, column in zip(self._parts, DESIGN, strict=False):
            values = table.column(column).combine_chunks().cast(pa.string())
            whole = pa.ListArray.from_arrays([0, len(values)], values)
            if self._rows:
                h.update(b"\x1f")
            h.update(pc.binary_join(whole, "\x1f")[0].as_buffer())  # its UTF-8, not decoded
        items = [c for c in table.column_names if c not in DESIGN]
        answers = np.empty((table.num_rows, len(items)))
        for j, item in enumerate(items):
            answers[:, j] = table.column(item).to_numpy(zero_copy_only=False)
        self._parts[-1].update(answers)
        self._rows += table.num_rows
        return self

    def hexdigest(self) -> str:
        return hashlib.sha256(b"".join(h.digest() for h in self._parts)).hexdigest()


def _add_timing(run_id: int, **seconds: float) -> None:
    """Add to the run's timings. Workers mapping chunks at the same time each add theirs,
    so the row is locked and re-read first (the lock is held until the chunk commits)."""
    run = db.session.get(AggregationRun, run_id, with_for_update=True, populate_existing=True)
    timings = dict(run.timings or {})
    for key, value in seconds.items():
        timings[key] = timings.get(key, 0.0) + value
    run.timings = timings


def reduce_run(run_id: int) -> AggregationRun:
    """Merge the chunks, compute the index, persist it; an identical earlier run wins."""
    run = db.session.get(AggregationRun, run_id)
    if run is None or run.state != "running":  # deleted, or reduced by an earlier delivery
        return run
    t0 = time.perf_counter()
    rnd = db.session.get(Round, run.round_id)
    context = load_context(rnd)
    chunks = db.session.scalars(
        select(AggregationChunk)
        .where(AggregationChunk.run_id == run_id)
        .order_by(AggregationChunk.chunk_no)
    ).all()
    try:
        population = {f.stratum: f.population for f in rnd.frame}
        fpc = run.methodology.get("fpc", False)
        survey = reduce_survey(
            _merged(chunks, context, run.methodology), population if fpc else None
        )
    except ValueError as exc:
        _fail(run_id, exc)
        return run
    digest = inputs_hash(context, [c.digest for c in chunks], run.methodology)
    same = db.session.scalar(
        select(AggregationRun).where(
            AggregationRun.round_id == run.round_id,
            AggregationRun.inputs_hash == digest,
            AggregationRun.state == "done",
            AggregationRun.is_final == run.is_final,
        )
    )
    if same is not None:  # same inputs: the earlier run stands, this one leaves no rows
        db.session.delete(run)
        db.session.commit()
        return same
    try:
        result = compute_index(
            context, survey, seed=run.methodology["seed"], draws=run.methodology["draws"]
        )
        payload = index_payload(result, context)
        store.store_payload(run, payload)
    except Exception as exc:
        db.session.rollback()
        _fail(run_id, exc)
        raise
    _add_timing(run_id, reduce=time.perf_counter() - t0)
    run.inputs_hash, run.state, run.finished_at = digest, "done", utcnow()
    db.session.execute(
        update(AggregationChunk).where(AggregationChunk.run_id == run_id).values(sums=None)
    )  # the figures are stored; free the space
    db.session.commit()
    return run


_CHANGED = "responses arrived while the run was computed (weights are planned first): run again"


def _merged(chunks, context: IndexInputs, plan: dict) -> IndexSums:
    """The chunks' sums, which must have read exactly the responses the plan weighted."""
    if not chunks:  # a round without responses: empty sums
        items = tuple(context.item_scales)
        empty = chunk_responses(empty_chunk(items), items, np.ones(0))
        return map_responses(context, empty, element=plan.get("fpc", False))
    merged = merge(IndexSums.from_bytes(c.sums) for c in chunks)
    counts = dict(zip(merged.strata.tolist(), merged.stratum_n.tolist(), strict=True))
    if planned_counts(plan) != counts:
        raise ValueError(_CHANGED)
    return merged


#: A run that lost the race with new responses is started again by itself, up to this many
#: times in a row (an open round receiving answers every second would otherwise never
#: finish a run; past this the admin sees the failure and its reason).
RERUNS = 3


def _fail(run_id: int, exc: Exception) -> None:
    run = db.session.get(AggregationRun, run_id)
    run.state, run.error, run.finished_at = "failed", f"{type(exc).__name__}: {exc}", utcnow()
    if str(exc) == _CHANGED and _changed_in_a_row(run.round_id) <= RERUNS:
        jobs.enqueue(
            jobs.AGGREGATE_ROUND,
            {
                "round_id": run.round_id,
                "is_final": run.is_final,
                "exclude_bursts": run.methodology.get("exclude_bursts", False),
            },
            dedupe_key=f"rerun:{run.id}",
        )
    db.session.commit()


def _changed_in_a_row(round_id: int) -> int:
    """How many of the round's latest runs (this one included) failed on new responses."""
    errors = db.session.scalars(
        select(AggregationRun.error)
        .where(AggregationRun.round_id == round_id)
        .order_by(AggregationRun.version.desc())
        .limit(RERUNS + 1)
    )
    count = 0
    for error in errors:
        if not (error or "").endswith(_CHANGED):
            break
        count += 1
    return count


def inputs_hash(context: IndexInputs, chunk_digests: list, method: dict) -> str:
    """SHA-256 of everything the figures depend on: responses (chunk by chunk, each as
    read: :class:`ChunkDigest`), criteria sets, scales, appraised scores, bonus/penalty,
    previous indices, methodology and code version.

    Chunks by physical position are cut at the same places while the round's rows stay
    where they are (``worker.loading.block_bounds`` samples pages repeatably), so asking
    again for unchanged inputs finds the earlier run; once rows have moved (an UPDATE, a
    ``VACUUM FULL``) the chunks differ and a new run is made with the same figures."""
    rest = {
        "sets": [asdict(cs) for cs in context.criteria_sets],
        "units": dict(context.units),
        "scales": {
            k: {str(v): s for v, s in sc.scores.items()} for k, sc in context.item_scales.items()
        },
        "self": [asdict(s) for s in context.self_scores],
        "bonus": [asdict(b) for b in context.bonus_penalty],
        "previous": dict(context.previous),
        "ministry": context.ministry_index,
        "responses": chunk_digests,
        "method": method,
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()


def aggregate_round(
    round_id: int,
    *,
    is_final: bool = False,
    chunk_size: int = CHUNK_SIZE,
    seed: int = DEFAULT_SEED,
    draws: int = DEFAULT_DRAWS,
    exclude_bursts: bool = False,
) -> AggregationRun:
    """The whole pipeline in this process (tests, the embedded worker, small rounds)."""
    run = start_run(
        round_id,
        is_final=is_final,
        chunk_size=chunk_size,
        seed=seed,
        draws=draws,
        exclude_bursts=exclude_bursts,
    )
    run_id = run.id
    for chunk_no in range(run.chunks_total):
        map_chunk(run_id, chunk_no)
    result = reduce_run(run_id)
    _mark_done_here(run_id)
    return result


def _mark_done_here(run_id: int) -> None:
    """The steps ran in this process: their outbox jobs must not run again elsewhere."""
    keys = [f"reduce:{run_id}"]
    db.session.execute(
        update(Job)
        .where((Job.dedupe_key.in_(keys)) | Job.dedupe_key.like(f"map:{run_id}:%"))
        .values(state="done", updated_at=utcnow())
    )
    db.session.commit()
