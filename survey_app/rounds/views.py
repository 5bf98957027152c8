"""Round administration (admins): list and create; each round in tabs (overview and
progress, invitations, responses, open links, settings); irreversible actions confirmed."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from survey_app.accounts.auth import restrict
from survey_app.core import jobs
from survey_app.core.times import from_local
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.main.queries import list_rounds
from survey_app.results.presentation import fmt, group_name
from survey_app.rounds import actions, confirmations, pages
from survey_app.rounds.forms import (
    ActionForm,
    ClosingTimeForm,
    InviteForm,
    ResponsesForm,
    RevokeForm,
)
from survey_app.rounds.operations import (
    RoundError,
    create_round,
    extend_round,
    open_round,
    reopen_round,
)
from survey_app.rounds.queries import get_progress, get_round, progress_totals

bp = Blueprint("rounds", __name__, template_folder="templates", url_prefix="/admin/rounds")


restrict(bp, "admin")


@bp.context_processor
def _helpers() -> dict:
    lang = get_language()
    return {
        "group_name": group_name,
        "from_iso": dt.datetime.fromisoformat,
        "percent": lambda rate: "—" if rate is None else fmt(float(rate) * 100, lang, 1) + "%",
    }


@bp.get("/")
def index():
    return render_template("rounds/list.html", rounds=list_rounds(), form=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = pages.round_form()
    if not form.validate_on_submit():
        return pages.new_page(form), 400 if form.is_submitted() else 200
    try:
        frame = without_transaction(actions.read_frame, form.frame.data)
        margins = without_transaction(actions.read_margins, form.margins.data)
        rnd = create_round(
            form.name.data,
            form.criteria_sets.data,
            form.questionnaire.data,
            from_local(form.opens.data),
            from_local(form.closes.data),
            frame,
            margins,
        )
    except InvalidFile as exc:
        db.session.rollback()
        return pages.new_page(form, actions.problems(exc)), 400
    except RoundError as exc:
        db.session.rollback()
        form.form_errors.append(_(exc.message, **exc.params))
        return pages.new_page(form), 400
    db.session.commit()
    return redirect(url_for(".detail", round_id=rnd.id), 303)


@bp.get("/<int:round_id>")
def detail(round_id: int):
    return pages.overview(get_round(round_id))


@bp.get("/<int:round_id>/invitations")
def invitations_tab(round_id: int):
    rnd = get_round(round_id)
    return pages.tab(
        rnd, "invitations", invite=InviteForm(), revoke=RevokeForm(), privacy=pages.privacy(rnd)
    )


@bp.get("/<int:round_id>/responses")
def responses_tab(round_id: int):
    return pages.tab(get_round(round_id), "responses", responses=ResponsesForm())


@bp.get("/<int:round_id>/open-links")
def open_links_tab(round_id: int):
    rnd = get_round(round_id)
    return pages.tab(
        rnd,
        "open_links",
        open_link=actions.open_link_form(rnd),
        open_links=actions.open_links(rnd),
    )


@bp.get("/<int:round_id>/settings")
def settings(round_id: int):
    return pages.settings(get_round(round_id), ClosingTimeForm())


@bp.get("/<int:round_id>/progress.json")
def progress_json(round_id: int):
    rows = get_progress(get_round(round_id))
    return {
        "rows": [{**r.as_dict(), "group_name": group_name(r.group)} for r in rows],
        "totals": progress_totals(rows),
    }


@bp.post("/<int:round_id>/open")
def open_(round_id: int):
    return actions.change_state(get_round(round_id), open_round, "The round is open.")


@bp.route("/<int:round_id>/close", methods=["GET", "POST"])
def close(round_id: int):
    return confirmations.close(get_round(round_id))


@bp.post("/<int:round_id>/extend")
def extend(round_id: int):
    return _closing_time(get_round(round_id), extend_round, "The closing time is extended.")


@bp.post("/<int:round_id>/reopen")
def reopen(round_id: int):
    return _closing_time(get_round(round_id), reopen_round, "The round is open again.")


def _closing_time(rnd, operation, message: str):
    form = ClosingTimeForm()
    if not form.validate_on_submit():
        return pages.settings(rnd, form), 400
    try:
        operation(rnd, from_local(form.closes.data))
    except RoundError as exc:
        db.session.rollback()
        form.closes.errors = [_(str(exc))]
        return pages.settings(rnd, form), 400
    db.session.commit()
    flash(_(message), "info")
    return redirect(url_for(".settings", round_id=rnd.id), 303)


@bp.post("/<int:round_id>/invitations")
def invite(round_id: int):
    return actions.invite(get_round(round_id), InviteForm())


@bp.post("/<int:round_id>/links.csv")
def links(round_id: int):
    rnd = get_round(round_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".invitations_tab", round_id=rnd.id), 303)
    return actions.links_download(rnd, actions.reissue(rnd))


@bp.post("/<int:round_id>/revoke")
def revoke(round_id: int):
    return confirmations.revoke(get_round(round_id), RevokeForm())


@bp.route("/<int:round_id>/send", methods=["GET", "POST"])
def send(round_id: int):
    return confirmations.send(get_round(round_id), jobs.SEND_INVITATIONS)


@bp.route("/<int:round_id>/remind", methods=["GET", "POST"])
def remind(round_id: int):
    return confirmations.send(get_round(round_id), jobs.SEND_REMINDERS)


@bp.post("/<int:round_id>/responses")
def import_responses(round_id: int):
    return actions.import_file(get_round(round_id), ResponsesForm())


@bp.post("/<int:round_id>/open-links")
def open_links(round_id: int):
    rnd = get_round(round_id)
    return actions.make_open_link(rnd, actions.open_link_form(rnd), current_app.config["BASE_URL"])
