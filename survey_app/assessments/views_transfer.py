"""Export (CSV, XLSX) and import (CSV, XLSX) of self-assessments, per unit and per round."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, url_for

from survey_app.accounts.auth import require_role
from survey_app.assessments import queries as q
from survey_app.assessments.forms import ImportForm
from survey_app.assessments.operations import (
    import_self_assessments,
    import_unit_drafts,
    self_maxima,
)
from survey_app.assessments.rules import can_edit_self
from survey_app.assessments.transfer import records, to_csv, to_xlsx, upload_text
from survey_app.assessments.views import EVERYONE, bp
from survey_app.core.downloads import attachment, csv_attachment
from survey_app.core.transactions import without_transaction
from survey_app.extensions import db
from survey_app.formats.problems import InvalidFile
from survey_app.formats.self_csv import parse_self_assessment
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(rnd, units, fmt: str, stem: str) -> Response:
    rows = records(rnd, units, get_language())
    if fmt == "csv":
        return csv_attachment(to_csv(rows), f"{stem}.csv")
    return attachment(to_xlsx(rows), XLSX_TYPE, f"{stem}.xlsx")


@bp.get("/rounds/<int:round_id>/units/<int:unit_id>/export.<any(csv, xlsx):fmt>")
@require_role(*EVERYONE)
def export_unit(round_id: int, unit_id: int, fmt: str):
    """Also the XLSX template the unit fills in (its sub-criteria, with what it entered)."""
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    return _export(rnd, [unit], fmt, f"self_assessment_{rnd.id}_{unit.code}")


@bp.get("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
@require_role("admin", "appraiser", "viewer")
def export_round(round_id: int, fmt: str):
    rnd = q.get_round(round_id)
    return _export(rnd, rnd.units, fmt, f"self_assessment_{rnd.id}")


def _parse_upload(form: ImportForm, maxima) -> list:
    """The uploaded file's rows, read with no transaction open (core/transactions.py)."""
    upload = form.file.data
    return without_transaction(_parse, upload.filename, upload.read(), maxima)


def _parse(filename: str, data: bytes, maxima) -> list:
    return parse_self_assessment(upload_text(filename, data), filename, maxima)


def _problems(template: str, status: int = 400, **context):
    return render_template(template, **context), status


@bp.route("/rounds/<int:round_id>/units/<int:unit_id>/import", methods=["GET", "POST"])
@require_role("focal")
def import_unit(round_id: int, unit_id: int):
    """The unit's file becomes its draft: all rows or, with any problem, none."""
    rnd, unit = q.get_round_unit(g.user, round_id, unit_id)
    form = ImportForm()
    context = {"rnd": rnd, "unit": unit, "form": form, "problems": []}
    if not form.validate_on_submit():
        return render_template("assessments/import.html", **context)
    try:
        rows = _parse_upload(form, self_maxima(rnd))
    except InvalidFile as exc:
        return _problems("assessments/import.html", **(context | {"problems": exc.problems}))
    subs = {r.sub.code: r.sub for r in q.list_sheet(rnd, unit)}
    problems = import_unit_drafts(rnd, unit, rows, subs) if _unlocked(rnd, unit) else None
    if problems is None or problems:
        db.session.rollback()
        context["problems"] = problems or [
            _("The self-assessment is locked (submitted or past the deadline).")
        ]
        return _problems("assessments/import.html", **context)
    db.session.commit()
    flash(_("{n} scores were imported as a draft.", n=len(rows)), "info")
    return redirect(url_for(".sheet", round_id=rnd.id, unit_id=unit.id))


def _unlocked(rnd, unit) -> bool:
    return all(can_edit_self(r.sa, rnd) for r in q.list_sheet(rnd, unit))


@bp.post("/rounds/<int:round_id>/import")
@require_role("admin")
def import_round(round_id: int):
    """The round's file, as ``parindex rounds import-self`` (submitted, appraised where given)."""
    rnd = q.get_round(round_id)
    form = ImportForm()
    context = {"rnd": rnd, "unit": None, "form": form, "problems": []}
    if not form.validate_on_submit():
        context["problems"] = [e for errors in form.errors.values() for e in errors]
        return _problems("assessments/import.html", **context)
    try:
        rows = _parse_upload(form, self_maxima(rnd))
        import_self_assessments(rnd, rows)
    except InvalidFile as exc:
        db.session.rollback()
        return _problems("assessments/import.html", **(context | {"problems": exc.problems}))
    db.session.commit()
    flash(_("{n} scores were imported.", n=len(rows)), "info")
    return redirect(url_for(".round_overview", round_id=rnd.id))
