"""Unit administration (admins): list, upload, names, deactivation, last year's index."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from survey_app.accounts.auth import restrict
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.limits import decode_text
from survey_app.formats.previous_csv import parse_previous
from survey_app.formats.problems import InvalidFile
from survey_app.formats.units_csv import parse_units
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.results.presentation import fmt, kind_name
from survey_app.units import queries as q
from survey_app.units.forms import PreviousUploadForm, UnitForm, UnitsUploadForm
from survey_app.units.operations import (
    deactivate_unit,
    import_previous_results,
    import_units,
    reactivate_unit,
    rename_unit,
)

bp = Blueprint("units", __name__, template_folder="templates", url_prefix="/admin/units")


restrict(bp, "admin")


@bp.context_processor
def _helpers():
    return {"kind_name": kind_name, "fmt": fmt}


@bp.get("/")
def index():
    groups, previous = q.list_units_by_kind(), q.list_latest_previous()
    return render_template("units/index.html", groups=groups, previous=previous)


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    form = UnitsUploadForm()
    if not form.validate_on_submit():
        return render_template("units/upload.html", form=form), _status(form)
    try:
        created, updated = import_units(without_transaction(_parse, parse_units, form.file.data))
    except InvalidFile as exc:
        db.session.rollback()
        return render_template("units/upload.html", form=form, problems=_problems(exc)), 400
    db.session.commit()
    flash(
        _("Units imported: {created} new, {updated} updated.", created=created, updated=updated),
        "info",
    )
    return redirect(url_for(".index"), 303)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
def edit(unit_id: int):
    unit = q.get_unit(unit_id)
    form = UnitForm(obj=unit)
    if not form.validate_on_submit():
        return render_template("units/edit.html", form=form, unit=unit), _status(form)
    rename_unit(unit, form.name_vi.data, form.name_en.data)
    db.session.commit()
    flash(_("Unit {code} saved.", code=unit.code), "info")
    return redirect(url_for(".index"), 303)


@bp.route("/<int:unit_id>/deactivate", methods=["GET", "POST"])
def deactivate(unit_id: int):
    unit = q.get_unit(unit_id)
    if not unit.is_active:
        return redirect(url_for(".index"), 303)
    if request.method == "POST" and request.form.get("confirmed") == "1":
        deactivate_unit(unit)
        db.session.commit()
        flash(_("Unit {code} deactivated.", code=unit.code), "info")
        return redirect(url_for(".index"), 303)
    return render_template(
        "confirm.html",
        title=_("Deactivate unit {code}", code=unit.code),
        consequences=_consequences(unit),
        action_url=url_for(".deactivate", unit_id=unit.id),
        action_label=_("Deactivate the unit"),
        back_url=url_for(".index"),
    )


def _consequences(unit) -> list[str]:
    n = q.count_rounds_of(unit)
    past = (
        _("It stays in the {n} survey round(s) it is already part of, and in their results.", n=n)
        if n
        else _("It is not part of any survey round yet.")
    )
    name = unit.name(get_language())
    return [
        _("{name} will not be part of new survey rounds.", name=name),
        past,
        _("You can reactivate it at any time."),
    ]


@bp.post("/<int:unit_id>/reactivate")
def reactivate(unit_id: int):
    unit = q.get_unit(unit_id)
    reactivate_unit(unit)
    db.session.commit()
    flash(
        _("Unit {code} reactivated: it will be part of new survey rounds.", code=unit.code), "info"
    )
    return redirect(url_for(".index"), 303)


@bp.route("/previous", methods=["GET", "POST"])
def previous():
    form = PreviousUploadForm()
    if not form.validate_on_submit():
        return _previous_page(form), _status(form)
    try:
        codes = q.list_unit_codes()
        rows = without_transaction(_parse, parse_previous, form.file.data, codes)
        n = import_previous_results(rows)
    except InvalidFile as exc:
        db.session.rollback()
        return _previous_page(form, _problems(exc)), 400
    db.session.commit()
    flash(_("Last year's index stored: {n} rows.", n=n), "info")
    return redirect(url_for(".previous"), 303)


def _previous_page(form, problems=None) -> str:
    years = q.list_previous_by_year()
    return render_template("units/previous.html", form=form, years=years, problems=problems)


def _parse(parse, upload, *rules):
    """``parse`` (text, name, *rules) of an uploaded file; not UTF-8 is a problem of the file."""
    return parse(decode_text(upload.read(), upload.filename), upload.filename, *rules)


def _problems(exc: InvalidFile) -> list[str]:
    return exc.texts()


def _status(form) -> int:
    return 400 if form.is_submitted() else 200
