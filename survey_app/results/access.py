"""Who sees which run of a round: staff any done run, everyone else the published one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g

from survey_app.results.models import AggregationRun
from survey_app.results.queries import (
    get_latest_done_run,
    get_published_run,
    get_round,
    get_run_by_version,
)
from survey_app.rounds.models import Round

#: Roles that see every round's results, unpublished ones included, without suppression.
STAFF_ROLES = ("admin", "appraiser", "viewer")


@dataclass(frozen=True)
class Shown:
    """A round, the run shown of it (None before the first done run) and for whom."""

    round: Round
    run: AggregationRun | None
    #: shown as to the public: published run only, small groups suppressed
    is_public: bool


def is_staff(user=None) -> bool:
    user = user if user is not None else g.get("user")
    return user is not None and user.role in STAFF_ROLES


def is_admin() -> bool:
    user = g.get("user")
    return user is not None and user.role == "admin"


def shown_results(round_id: int, version: int | None = None) -> Shown:
    """The run to show; 401 (not signed in) or 403 for an unpublished round's outsiders."""
    rnd = get_round(round_id)
    if not is_staff():
        if rnd.state != "published":
            abort(403 if g.get("user") is not None else 401)
        return Shown(rnd, get_published_run(rnd.id), is_public=True)
    return Shown(rnd, _staff_run(rnd, version), is_public=False)


def _staff_run(rnd: Round, version: int | None) -> AggregationRun | None:
    if version is not None:
        run = get_run_by_version(rnd.id, version)
        if run is None or run.state != "done":
            abort(404)
        return run
    if rnd.state == "published":
        return get_published_run(rnd.id)
    return get_latest_done_run(rnd.id)
