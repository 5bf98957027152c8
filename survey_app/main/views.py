"""Home page: the rounds and their state."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request, send_from_directory
from sqlalchemy.exc import SQLAlchemyError

from survey_app.extensions import db
from survey_app.i18n import N_
from survey_app.main.dashboard import list_round_cards, next_steps, scheduler_warning
from survey_app.main.queries import list_rounds

bp = Blueprint("main", __name__, template_folder="templates")


@bp.get("/")
def home():
    """The public sees the rounds; a signed-in user sees the overview of their role."""
    user = g.get("user")
    if user is None:
        return render_template("main/home.html", rounds=list_rounds())
    unit_id = user.unit_id if user.role == "focal" else None
    cards = list_round_cards(unit_id)
    steps = [(card, step) for card in cards for step in next_steps(card, user.role, unit_id)]
    return render_template(
        "main/dashboard.html", cards=cards, steps=steps, scheduler=scheduler_warning(user.role)
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own: answer the SVG icon, not a 404."""
    response = send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
    return response


@bp.get("/healthz")
def health():
    """Ready: the database answers ``SELECT 1`` within a few seconds (503 with
    ``Retry-After`` otherwise, so a load balancer stops sending traffic here).
    ``?deep=1`` also reads the scheduler's heartbeat and answers 503 when it is silent
    (for monitoring)."""
    from survey_app.core.outages import retry_headers
    from survey_app.main.queries import database_answers

    if not database_answers():
        return {"status": "failing", "database": "unreachable"}, 503, retry_headers()
    if request.args.get("deep") != "1":
        return {"status": "ok"}
    from survey_app.core.ticks import get_scheduler_health

    try:
        scheduler = get_scheduler_health()
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "failing", "database": "unreachable"}, 503, retry_headers()
    body = {
        "status": "failing" if scheduler.is_silent else "ok",
        "database": "ok",
        "scheduler": {
            "last_tick": scheduler.last_tick.isoformat() if scheduler.last_tick else None,
            "silent_for": scheduler.silent_for,
            "threshold": scheduler.threshold,
            "message": scheduler.message(),
        },
    }
    return body, 503 if scheduler.is_silent else 200


@bp.get("/livez")
def live():
    """Alive: the process answers requests (the database is not asked)."""
    return {"status": "ok"}


def _api_error(code: int, message: str):
    """Under /api/ every error is JSON, in the shape of the API's ``Error`` schema, even
    for a path that matches no route (those never reach the API blueprint's handlers)."""
    return jsonify({"error": {"status": code, "message": message}}), code


@bp.app_errorhandler(404)
def not_found(_error):
    if request.path.startswith("/api/"):
        return _api_error(404, "No such resource.")
    return render_template(
        "main/error.html",
        title=N_("Page not found"),
        message=N_("The page you asked for does not exist."),
    ), 404


@bp.app_errorhandler(403)
def forbidden(_error):
    return render_template(
        "main/error.html", title=N_("Forbidden"), message=N_("You may not do this.")
    ), 403


@bp.app_errorhandler(500)
def server_error(_error):
    return render_template(
        "main/error.html",
        title=N_("Something went wrong"),
        message=N_(
            "The error was logged. Please try again; if you were sending a form, check "
            "afterwards that it was stored."
        ),
    ), 500
