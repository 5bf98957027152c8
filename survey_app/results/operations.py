"""Changes to results: asking the worker for a run, publishing a round's final run and
withdrawing that publication."""

from __future__ import annotations

from survey_app.core.audit import log_change
from survey_app.core.db import utcnow
from survey_app.core.jobs import AGGREGATE_ROUND, enqueue
from survey_app.core.models import Job
from survey_app.extensions import db
from survey_app.results.models import AggregationRun
from survey_app.results.queries import (
    UNFINISHED_JOB_STATES,
    get_latest_aggregate_job,
    get_published_run,
)
from survey_app.rounds.models import Round


class ResultsError(Exception):
    """A refused change; the message (English, translated when shown) says why."""


def request_run(rnd: Round, *, is_final: bool, exclude_bursts: bool = False) -> Job:
    """Queue an aggregation of ``rnd``; an unfinished request is returned, not doubled.
    ``exclude_bursts`` leaves out the responses marked as from a burst on an open link."""
    if rnd.state == "draft":
        raise ResultsError("A draft round has no responses to aggregate.")
    if is_final and rnd.state not in ("closed", "published"):
        raise ResultsError("A final run needs a closed round.")
    pending = get_latest_aggregate_job(rnd.id)
    if pending is not None and pending.state in UNFINISHED_JOB_STATES:
        return pending
    payload = {"round_id": rnd.id, "is_final": is_final}
    if exclude_bursts:
        payload["exclude_bursts"] = True
    job = enqueue(AGGREGATE_ROUND, payload)
    log_change(
        "results.request_run",
        "round",
        rnd.id,
        new={
            "job": job.id,
            "is_final": is_final,
            **({"exclude_bursts": True} if exclude_bursts else {}),
        },
        round_id=rnd.id,
    )
    return job


def publish_run(rnd: Round, run: AggregationRun) -> None:
    """Publish ``rnd`` with ``run``'s figures, frozen: later runs never replace them."""
    if rnd.state == "published" or get_published_run(rnd.id) is not None:
        raise ResultsError("This round is already published; its figures are frozen.")
    if rnd.state != "closed":
        raise ResultsError("Only a closed round can be published.")
    if run.round_id != rnd.id or run.state != "done" or not run.is_final:
        raise ResultsError("Choose a finished final run of this round.")
    run.is_published = True
    rnd.state, rnd.published_at = "published", utcnow()
    log_change(
        "round.publish",
        "round",
        rnd.id,
        old={"state": "closed"},
        new={"state": "published", "run": run.version, "inputs_hash": run.inputs_hash},
        round_id=rnd.id,
    )
    db.session.flush()


def unpublish_round(rnd: Round, reason: str) -> AggregationRun:
    """Withdraw ``rnd``'s publication: the round is closed again, its run no longer public,
    and its scores may change again. The reason is required and kept in the audit trail."""
    reason = (reason or "").strip()
    if not reason:
        raise ResultsError("Give the reason for withdrawing the publication.")
    run = get_published_run(rnd.id)
    if rnd.state != "published" or run is None:
        raise ResultsError("This round is not published.")
    run.is_published = False
    published_at = rnd.published_at.isoformat() if rnd.published_at else None
    rnd.state, rnd.published_at = "closed", None
    log_change(
        "round.unpublish",
        "round",
        rnd.id,
        old={"state": "published", "run": run.version, "published_at": published_at},
        new={"state": "closed"},
        reason=reason,
        round_id=rnd.id,
    )
    db.session.flush()
    return run
