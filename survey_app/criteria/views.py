"""Criteria sets for admins: list, detail (areas → criteria → sub-criteria), upload."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from survey_app.accounts.auth import restrict
from survey_app.core.transactions import without_transaction
from survey_app.criteria import queries
from survey_app.criteria.forms import CriteriaSetUploadForm
from survey_app.criteria.operations import import_criteria_set
from survey_app.extensions import db
from survey_app.formats.criteria_yaml import parse_criteria_set
from survey_app.formats.limits import decode_text
from survey_app.formats.problems import InvalidFile
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.questionnaires.operations import known_item_codes
from survey_app.results.presentation import fmt, group_name, kind_name

#: How a sub-criterion's source is shown; the codes themselves never are.
SOURCE_NAMES = {"self": "Self-assessment", "survey": "Sociological survey"}

bp = Blueprint("criteria", __name__, template_folder="templates", url_prefix="/admin/criteria-sets")


restrict(bp, "admin")


@bp.context_processor
def _helpers():
    return {
        "fmt": fmt,
        "kind_name": kind_name,
        "group_name": group_name,
        "source_name": lambda source: _(SOURCE_NAMES[source]),
    }


@bp.get("/")
def index():
    return render_template("criteria/list.html", rows=queries.list_criteria_sets())


@bp.get("/<int:criteria_set_id>")
def detail(criteria_set_id: int):
    cs = queries.get_criteria_set(criteria_set_id)
    codes = {code for s in cs.subcriteria() for code in s.item_codes}
    return render_template(
        "criteria/detail.html",
        cs=cs,
        points=queries.split(cs.subcriteria()),
        area_points={a.id: queries.split(queries.area_subcriteria(a)) for a in cs.areas},
        items=queries.items_by_code(codes),
        rounds=queries.rounds_by_criteria_set().get(cs.id, []),
    )


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    form = CriteriaSetUploadForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("criteria/upload.html", form=form), status
    upload = form.file.data
    try:
        codes = known_item_codes()
        spec = without_transaction(_parse, upload.read(), upload.filename, codes)
        cs = import_criteria_set(spec, upload.filename)
    except InvalidFile as exc:
        db.session.rollback()
        return render_template("criteria/upload.html", form=form, problems=_problems(exc)), 400
    db.session.commit()
    flash(
        _(
            "Criteria set {code} uploaded: {n} sub-criteria, {points} maximum points.",
            code=cs.code,
            n=len(spec.subcriteria()),
            points=fmt(spec.max_points, get_language()),
        ),
        "info",
    )
    return redirect(url_for(".detail", criteria_set_id=cs.id), 303)


def _parse(data: bytes, name: str, codes: set[str]):
    return parse_criteria_set(decode_text(data, name), name, codes)


def _problems(exc: InvalidFile) -> list[str]:
    return exc.texts()
