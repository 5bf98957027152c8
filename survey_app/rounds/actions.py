"""The work behind the round administration buttons, kept out of the view functions."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, url_for
from wtforms import SelectChoice

from survey_app.core.downloads import csv_attachment
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.frame_csv import parse_frame
from survey_app.formats.limits import decode_text
from survey_app.formats.links_csv import links_csv
from survey_app.formats.margins_csv import parse_margins
from survey_app.formats.problems import InvalidFile
from survey_app.formats.respondents import coarsening_notes, parse_respondents
from survey_app.formats.responses_csv import parse_responses
from survey_app.i18n import gettext as _
from survey_app.invitations.operations import (
    InvitationError,
    create_invitations,
    links_rows,
    list_rules,
    reissue_round_links,
)
from survey_app.openlinks.operations import OpenLinkError, create_open_link, list_open_links
from survey_app.questionnaires.queries import list_respondent_groups
from survey_app.responses.operations import import_responses, questionnaire_rules
from survey_app.results.presentation import group_name
from survey_app.rounds.forms import ActionForm, OpenLinkForm
from survey_app.rounds.operations import RoundError


def problems(exc: Exception) -> list[str]:
    if isinstance(exc, InvalidFile):
        return [exc.summary()] + exc.texts()
    return [str(exc)]


def read_frame(upload) -> dict[str, float] | None:
    if not upload or not upload.filename:
        return None
    return parse_frame(decode_text(upload.read(), upload.filename), upload.filename)


def read_margins(upload) -> dict[str, dict[str, float]] | None:
    """The round's population margins: their variables are its weighting variables."""
    if not upload or not upload.filename:
        return None
    return parse_margins(decode_text(upload.read(), upload.filename), upload.filename)


def _back(rnd, endpoint: str = "rounds.detail") -> Response:
    return redirect(url_for(endpoint, round_id=rnd.id), 303)


def refused(rnd, exc: Exception):
    db.session.rollback()
    return render_template("rounds/problems.html", round=rnd, problems=problems(exc)), 400


def form_refused(rnd, form):
    """The form's own messages (WTForms', in the request's language) on the problems page."""
    return refused(rnd, ValueError(" ".join(e for errs in form.errors.values() for e in errs)))


def change_state(rnd, operation, message: str) -> Response:
    if ActionForm().validate_on_submit():
        try:
            operation(rnd)
        except RoundError as exc:
            return refused(rnd, exc)
        db.session.commit()
        flash(_(message), "info")
    return _back(rnd)


def invite(rnd, form):
    if not form.validate_on_submit():
        return form_refused(rnd, form)
    upload = form.respondents.data
    try:
        rules = list_rules(rnd)
        listing = without_transaction(parse_respondents, upload.read(), upload.filename, rules)
        issued = create_invitations(rnd, listing)
    except (InvalidFile, InvitationError) as exc:
        return refused(rnd, exc)
    if form.send.data and rnd.state == "open":
        from survey_app.core import jobs

        jobs.enqueue(jobs.SEND_INVITATIONS, {"round_id": rnd.id})
    db.session.commit()
    for note in coarsening_notes(listing):  # shown on the next page, links download or not
        flash(note.text(), "warning")
    if form.download.data:
        # The links of this upload, shown once; e-mail (if asked) re-issues its own.
        return links_download(rnd, issued)
    flash(_("{n} invitations created.", n=len(issued)), "info")
    return _back(rnd, "rounds.invitations_tab")


def reissue(rnd):
    issued = reissue_round_links(rnd)
    db.session.commit()
    return issued


def links_download(rnd, issued) -> Response:
    text = links_csv(links_rows(issued, current_app.config["BASE_URL"]))
    return csv_attachment(text, f"round-{rnd.id}-links.csv", private=True)


def import_file(rnd, form):
    if not form.validate_on_submit():
        return form_refused(rnd, form)
    upload = form.responses.data
    try:
        rules = questionnaire_rules(rnd)
        parsed = without_transaction(_parse_responses, upload.read(), upload.filename, rules)
        n = import_responses(rnd, parsed)
    except InvalidFile as exc:
        return refused(rnd, exc)
    db.session.commit()
    flash(_("{n} responses imported.", n=n), "info")
    return _back(rnd, "rounds.responses_tab")


def _parse_responses(data: bytes, name: str, rules):
    return parse_responses(decode_text(data, name), name, rules)


def open_link_form(rnd) -> OpenLinkForm:
    form = OpenLinkForm()
    form.unit.choices = [SelectChoice(u.code, f"{u.code} · {u.name_vi}") for u in rnd.units]
    groups = sorted(list_respondent_groups(rnd))
    form.group.choices = [SelectChoice(g, group_name(g)) for g in groups]
    return form


def open_links(rnd):
    return list_open_links(rnd)


def make_open_link(rnd, form, base_url: str):
    if not form.validate_on_submit():
        return _back(rnd, "rounds.open_links_tab")
    try:
        _link, token = create_open_link(rnd, form.unit.data, form.group.data)
    except OpenLinkError as exc:
        return refused(rnd, exc)
    db.session.commit()
    flash(
        _("Open link (copy it now, it is shown once): {link}", link=base_url + "/o/" + token),
        "info",
    )
    return _back(rnd, "rounds.open_links_tab")
