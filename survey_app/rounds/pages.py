"""What each round administration page shows, put together for its template."""

from __future__ import annotations

import datetime as dt
import math

from flask import render_template
from sqlalchemy import select
from wtforms import SelectChoice

from survey_app.core.db import utcnow
from survey_app.core.times import local_zone, to_local, zone_label
from survey_app.criteria.models import CriteriaSet
from survey_app.extensions import db
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.questionnaires.models import Questionnaire
from survey_app.rounds.forms import ClosingTimeForm, RoundForm
from survey_app.rounds.models import Round
from survey_app.rounds.queries import (
    get_invitation_counts,
    get_progress,
    list_mail_failures,
    list_round_history,
    progress_totals,
)

#: The tabs of a round: (endpoint, label).
TABS = (
    ("rounds.detail", "Overview and progress"),
    ("rounds.invitations_tab", "Invitations"),
    ("rounds.responses_tab", "Responses from other channels"),
    ("rounds.open_links_tab", "Open links"),
    ("rounds.settings", "Dates and history"),
)

#: Zones whose readers call them by a country's name.
ZONE_NAMES = {"Asia/Ho_Chi_Minh": "Vietnam time", "Asia/Saigon": "Vietnam time"}


def zone_hint() -> str:
    """ "giờ Việt Nam, UTC+7": the configured zone, as typed times are read."""
    zone = local_zone()
    name = ZONE_NAMES.get(zone.key)
    offset = zone_label(to_local(utcnow()))
    return f"{_(name)}, {offset}" if name else f"{zone.key}, {offset}"


def round_form() -> RoundForm:
    vi = get_language() == "vi"
    form = RoundForm()
    form.criteria_sets.choices = [
        SelectChoice(cs.code, f"{cs.name_vi if vi else cs.name_en} ({cs.code})")
        for cs in db.session.scalars(select(CriteriaSet).order_by(CriteriaSet.code))
    ]
    form.questionnaire.choices = [
        SelectChoice(q.code, f"{q.title_vi if vi else q.title_en} ({q.code})")
        for q in db.session.scalars(select(Questionnaire).order_by(Questionnaire.code))
    ]
    return form


def new_page(form: RoundForm, problems: list[str] | None = None) -> str:
    return render_template("rounds/new.html", form=form, problems=problems, zone=zone_hint())


def days_left(rnd: Round, now: dt.datetime | None = None) -> int | None:
    """Whole days until the round closes (rounded up), for an open round with a closing time."""
    if rnd.state != "open" or rnd.closes_at is None:
        return None
    seconds = (rnd.closes_at - (now or utcnow())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def tab(rnd: Round, current: str, **context) -> str:
    return render_template(
        f"rounds/{current}.html",
        round=rnd,
        tabs=TABS,
        counts=get_invitation_counts(rnd),
        mail_failures=list_mail_failures(rnd),
        **context,
    )


def privacy(rnd: Round) -> dict:
    """What a response copies from its invitation, the minimum cell size k, and the
    unit × group cells too small to hide anyone (the invitations tab shows them)."""
    from survey_app.invitations.operations import (
        list_small_groups,
        min_cell_size,
        weighting_variables,
    )

    return {
        "k": min_cell_size(),
        "weighting": sorted(weighting_variables(rnd)),
        "small": list_small_groups(rnd),
    }


def overview(rnd: Round) -> str:
    rows = get_progress(rnd)
    return tab(
        rnd,
        "detail",
        rows=rows,
        totals=progress_totals(rows),
        days_left=days_left(rnd),
        history=list_round_history(rnd, limit=5),
    )


def settings(rnd: Round, form: ClosingTimeForm) -> str:
    if not form.is_submitted() and rnd.state == "open" and rnd.closes_at is not None:
        form.closes.data = to_local(rnd.closes_at).replace(tzinfo=None)
    return tab(
        rnd,
        "settings",
        form=form,
        zone=zone_hint(),
        history=list_round_history(rnd),
    )
