"""Results pages: rounds, ranking, scorecards; for admins runs, requests, publication and
its withdrawal (both confirmed first)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from survey_app.accounts.auth import require_role
from survey_app.extensions import db
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.results import confirmations, pages, presentation
from survey_app.results.access import is_admin, is_staff, shown_results
from survey_app.results.forms import RequestRunForm, UnpublishForm
from survey_app.results.operations import ResultsError, request_run
from survey_app.results.queries import (
    get_progress,
    get_round,
    get_unit_by_code,
    list_rounds,
)
from survey_app.results.tables import scorecard

bp = Blueprint("results", __name__, template_folder="templates", url_prefix="/results")


@bp.context_processor
def _helpers() -> dict:
    lang = get_language()
    return {
        "fmt": lambda value, digits=2, sign=False: presentation.fmt(value, lang, digits, sign=sign),
        "flag_label": presentation.flag_label,
        "kind_name": lambda kind: presentation.kind_name(kind, lang),
        "group_name": presentation.group_name,
        "source_name": presentation.source_name,
        "stage_name": presentation.stage_name,
        "is_staff": is_staff(),
        "is_admin": is_admin(),
    }


@bp.errorhandler(401)
def _sign_in(_error):
    return redirect(url_for("accounts.login", next=request.full_path))


@bp.get("/")
def index():
    return render_template("results/index.html", rounds=list_rounds(published_only=not is_staff()))


@bp.get("/<int:round_id>")
def round_results(round_id: int):
    shown = shown_results(round_id, request.args.get("run", type=int))
    return render_template("results/round.html", **pages.ranking_page(shown))


@bp.get("/<int:round_id>/units/<code>")
def unit_scorecard(round_id: int, code: str):
    shown = shown_results(round_id, request.args.get("run", type=int))
    card = shown.run and scorecard(
        shown.run, shown.round, get_unit_by_code(code), public=shown.is_public
    )
    if not card:
        abort(404)
    return render_template("results/scorecard.html", **pages.scorecard_page(shown, card))


@bp.get("/<int:round_id>/runs")
@require_role("admin")
def runs(round_id: int):
    return render_template("results/runs.html", **pages.runs_page(get_round(round_id)))


@bp.post("/<int:round_id>/runs")
@require_role("admin")
def new_run(round_id: int):
    rnd, form = get_round(round_id), RequestRunForm()
    if form.validate_on_submit():
        try:
            job = request_run(
                rnd, is_final=form.is_final.data, exclude_bursts=form.exclude_bursts.data
            )
            db.session.commit()
            flash(_("Aggregation requested (job {job}).", job=job.id), "info")
        except ResultsError as exc:
            flash(_(str(exc)), "error")
    return redirect(url_for(".runs", round_id=round_id))


@bp.route("/<int:round_id>/publish", methods=["GET", "POST"])
@require_role("admin")
def publish(round_id: int):
    """Confirm, then publish: the run's version, its units, "figures will be frozen"."""
    rnd = get_round(round_id)
    run = confirmations.chosen_run(rnd, request.values.get("version", type=int))
    if run is None:
        flash(_("Choose a finished final run of this round."), "error")
        return redirect(url_for(".runs", round_id=round_id))
    return confirmations.publish(rnd, run)


@bp.route("/<int:round_id>/unpublish", methods=["GET", "POST"])
@require_role("admin")
def unpublish(round_id: int):
    """Confirm with a reason, then withdraw the publication."""
    return confirmations.unpublish(get_round(round_id), UnpublishForm())


@bp.get("/<int:round_id>/progress")
@require_role("admin")
def progress(round_id: int):
    get_round(round_id)
    return jsonify(get_progress(round_id))
