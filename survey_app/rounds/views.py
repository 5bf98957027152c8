"""Round administration: list, create, invite, links, revoke, e-mail, progress, close
(admins)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from survey_app.accounts.auth import require_role
from survey_app.core import jobs
from survey_app.core.db import utcnow
from survey_app.criteria.models import CriteriaSet
from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.i18n import gettext as _
from survey_app.main.queries import list_rounds
from survey_app.questionnaires.models import Questionnaire
from survey_app.rounds import actions
from survey_app.rounds.forms import ActionForm, InviteForm, ResponsesForm, RevokeForm, RoundForm
from survey_app.rounds.operations import RoundError, close_round, create_round, open_round
from survey_app.rounds.queries import get_progress, get_round, progress_totals

bp = Blueprint("rounds", __name__, template_folder="templates", url_prefix="/admin/rounds")


@bp.before_request
@require_role("admin")
def _admins_only():
    return None


@bp.get("/")
def index():
    return render_template("rounds/list.html", rounds=list_rounds(), form=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _round_form()
    if not form.validate_on_submit():
        return render_template("rounds/new.html", form=form), 400 if form.is_submitted() else 200
    try:
        frame = actions.read_frame(form.frame.data)
        rnd = create_round(
            form.name.data,
            form.criteria_sets.data,
            form.questionnaire.data,
            _utc(form.opens.data),
            _utc(form.closes.data),
            frame,
        )
    except (RoundError, InvalidFile) as exc:
        db.session.rollback()
        return render_template("rounds/new.html", form=form, problems=actions.problems(exc)), 400
    db.session.commit()
    return redirect(url_for(".detail", round_id=rnd.id), 303)


def _round_form() -> RoundForm:
    form = RoundForm()
    form.criteria_sets.choices = [
        SelectChoice(c)
        for c in db.session.scalars(select(CriteriaSet.code).order_by(CriteriaSet.code))
    ]
    form.questionnaire.choices = [
        SelectChoice(c)
        for c in db.session.scalars(select(Questionnaire.code).order_by(Questionnaire.code))
    ]
    return form


def _codes(column) -> list[SelectChoice]:
    return [SelectChoice(c) for c in db.session.scalars(select(column).order_by(column))]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value else None


@bp.get("/<int:round_id>")
def detail(round_id: int):
    rnd = get_round(round_id)
    rows = get_progress(rnd)
    return render_template(
        "rounds/detail.html",
        round=rnd,
        rows=rows,
        totals=progress_totals(rows),
        action=ActionForm(),
        invite=InviteForm(),
        responses=ResponsesForm(),
        revoke=RevokeForm(),
        open_link=actions.open_link_form(rnd),
        open_links=actions.open_links(rnd),
    )


@bp.get("/<int:round_id>/progress.json")
def progress_json(round_id: int):
    rows = get_progress(get_round(round_id))
    return {"rows": [r.as_dict() for r in rows], "totals": progress_totals(rows)}


@bp.post("/<int:round_id>/open")
def open_(round_id: int):
    return actions.change_state(get_round(round_id), open_round, "The round is open.")


@bp.post("/<int:round_id>/close")
def close(round_id: int):
    return actions.change_state(get_round(round_id), close_round, "The round is closed.")


@bp.post("/<int:round_id>/invitations")
def invite(round_id: int):
    return actions.invite(get_round(round_id), InviteForm())


@bp.post("/<int:round_id>/links.csv")
def links(round_id: int):
    rnd = get_round(round_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".detail", round_id=rnd.id), 303)
    return actions.links_download(rnd, actions.reissue(rnd))


@bp.post("/<int:round_id>/revoke")
def revoke(round_id: int):
    return actions.revoke(get_round(round_id), RevokeForm())


@bp.post("/<int:round_id>/send")
def send(round_id: int):
    return _enqueue(get_round(round_id), jobs.SEND_INVITATIONS, "Invitations are being sent.")


@bp.post("/<int:round_id>/remind")
def remind(round_id: int):
    return _enqueue(get_round(round_id), jobs.SEND_REMINDERS, "Reminders are being sent.")


def _enqueue(rnd, task: str, message: str) -> Response:
    if ActionForm().validate_on_submit():
        if rnd.state != "open":
            flash(_("Open the round before sending e-mail."), "error")
        else:
            slot = utcnow().strftime("%Y%m%d%H%M")
            jobs.enqueue(task, {"round_id": rnd.id}, dedupe_key=f"{task}:{rnd.id}:{slot}")
            db.session.commit()
            flash(_(message), "info")
    return redirect(url_for(".detail", round_id=rnd.id), 303)


@bp.post("/<int:round_id>/responses")
def import_responses(round_id: int):
    return actions.import_file(get_round(round_id), ResponsesForm())


@bp.post("/<int:round_id>/open-links")
def open_links(round_id: int):
    rnd = get_round(round_id)
    return actions.make_open_link(rnd, actions.open_link_form(rnd), current_app.config["BASE_URL"])
