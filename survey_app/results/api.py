"""JSON API ``/api/v1``: rounds and their results, as ``parindex index`` writes them."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from survey_app.core.urls import external_url
from survey_app.results.access import is_staff, shown_results
from survey_app.results.queries import list_rounds
from survey_app.results.tables import results_document
from survey_app.rounds.models import Round

bp = Blueprint("results_api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")


@cache
def openapi_document() -> dict:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


def _error(exc: HTTPException):
    return jsonify({"error": {"status": exc.code, "message": exc.description}}), exc.code


# Per code too: the app's HTML handlers for 403/404 would otherwise win over a class handler.
for _code in (HTTPException, 400, 401, 403, 404, 405, 409):
    bp.register_error_handler(_code, _error)


def _round(rnd: Round) -> dict:
    return {
        "id": rnd.id,
        "name": rnd.name,
        "state": rnd.state,
        "published_at": rnd.published_at.isoformat() if rnd.published_at else None,
        "criteria_sets": [cs.code for cs in rnd.criteria_sets],
        "results_url": external_url("results_api.round_results", round_id=rnd.id),
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/rounds")
def rounds():
    return jsonify({"rounds": [_round(r) for r in list_rounds(published_only=not is_staff())]})


@bp.get("/rounds/<int:round_id>/results")
def round_results(round_id: int):
    shown = shown_results(round_id, request.args.get("run", type=int))
    if shown.run is None:
        abort(404, "This round has no computed results yet.")
    document = results_document(shown.run, shown.round, public=shown.is_public)
    return jsonify(_finite({"round": _round(shown.round), **document}))


def _finite(value):
    """NaN and infinities (never valid JSON) as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
