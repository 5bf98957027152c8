"""Read-only queries of stored results: rounds, runs, units, criteria sets and jobs."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select

from survey_app.core.jobs import AGGREGATE_ROUND
from survey_app.core.models import Job
from survey_app.criteria.models import CriteriaSet
from survey_app.extensions import db
from survey_app.results.models import AggregationRun, SubCriterionResult, UnitResult
from survey_app.rounds.models import Round
from survey_app.units.models import Unit, UnitKind

#: Job states that mean "not finished yet".
UNFINISHED_JOB_STATES = ("pending", "dispatched", "running")


def get_round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def list_rounds(*, published_only: bool) -> list[Round]:
    stmt = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    if published_only:
        stmt = stmt.where(Round.state == "published")
    return list(db.session.scalars(stmt))


def list_runs(round_id: int) -> list[AggregationRun]:
    stmt = select(AggregationRun).where(AggregationRun.round_id == round_id)
    return list(db.session.scalars(stmt.order_by(AggregationRun.version.desc())))


def get_run_by_version(round_id: int, version: int) -> AggregationRun | None:
    return db.session.scalar(
        select(AggregationRun).where(
            AggregationRun.round_id == round_id, AggregationRun.version == version
        )
    )


def get_latest_done_run(round_id: int) -> AggregationRun | None:
    return db.session.scalar(
        select(AggregationRun)
        .where(AggregationRun.round_id == round_id, AggregationRun.state == "done")
        .order_by(AggregationRun.version.desc())
        .limit(1)
    )


def get_published_run(round_id: int) -> AggregationRun | None:
    return db.session.scalar(
        select(AggregationRun).where(
            AggregationRun.round_id == round_id, AggregationRun.is_published.is_(True)
        )
    )


def list_unit_results(run: AggregationRun) -> list[tuple[UnitResult, Unit]]:
    stmt = (
        select(UnitResult, Unit)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.run_id == run.id)
        .order_by(UnitResult.rank, Unit.code)
    )
    return [(r, u) for r, u in db.session.execute(stmt)]


def list_subcriterion_results(
    run: AggregationRun, unit_id: int | None = None
) -> list[tuple[SubCriterionResult, Unit]]:
    stmt = (
        select(SubCriterionResult, Unit)
        .join(Unit, Unit.id == SubCriterionResult.unit_id)
        .where(SubCriterionResult.run_id == run.id)
        .order_by(Unit.code, SubCriterionResult.id)
    )
    if unit_id is not None:
        stmt = stmt.where(SubCriterionResult.unit_id == unit_id)
    return [(r, u) for r, u in db.session.execute(stmt)]


def get_unit_by_code(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code)) or abort(404)


def list_unit_kinds() -> dict[str, UnitKind]:
    return {k.code: k for k in db.session.scalars(select(UnitKind))}


def criteria_sets_by_kind(rnd: Round) -> dict[str, CriteriaSet]:
    return {cs.unit_kind.code: cs for cs in rnd.criteria_sets}


def get_latest_aggregate_job(round_id: int) -> Job | None:
    """The newest aggregation job of the round (the payload holds the round id)."""
    stmt = select(Job).where(Job.task == AGGREGATE_ROUND).order_by(Job.id.desc()).limit(200)
    return next(
        (j for j in db.session.scalars(stmt) if j.payload.get("round_id") == round_id), None
    )


def count_burst_responses(round_id: int) -> int:
    """Responses of the round marked as from a burst on an open link (excludable)."""
    from survey_app.responses.models import Response

    return db.session.scalar(
        select(func.count()).where(Response.round_id == round_id, Response.is_burst)
    )


def get_progress(round_id: int) -> dict:
    """The latest aggregation request of the round and how far it got, for polling."""
    job = get_latest_aggregate_job(round_id)
    runs = list_runs(round_id)
    run = runs[0] if runs else None
    finished = job is None or job.state not in UNFINISHED_JOB_STATES
    done, total = 0, 0
    if run is not None and run.state == "running":
        done, total = run.chunks_done, run.chunks_total
    elif job is not None and not finished:
        done, total = job.progress_done, job.progress_total
    return {
        "job": None if job is None else {"id": job.id, "state": job.state, "error": job.error},
        "run": None
        if run is None
        else {"version": run.version, "state": run.state, "is_final": run.is_final},
        "done": done,
        "total": total,
        "percent": 100 if finished else (int(100 * done / total) if total else 0),
        "finished": finished,
    }
