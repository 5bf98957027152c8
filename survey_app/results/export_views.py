"""Downloads: ranking and scorecards (public once published), microdata (admins only)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, url_for

from survey_app.accounts.auth import require_role
from survey_app.core.downloads import attachment
from survey_app.i18n import get_language
from survey_app.results.access import Shown, shown_results
from survey_app.results.exports import FORMATS, MEDIA_TYPES
from survey_app.results.queries import get_round

bp = Blueprint("results_exports", __name__, url_prefix="/results")


@bp.errorhandler(401)
def _sign_in(_error):
    return redirect(url_for("accounts.login", next=request.full_path))


def _files():
    """The export writers, imported when a file is asked for: they bring openpyxl, which
    no other page and no CLI command needs at start."""
    from survey_app.results.exports import results_files

    return results_files


def _shown(round_id: int) -> Shown:
    shown = shown_results(round_id, request.args.get("run", type=int))
    if shown.run is None:
        abort(404)
    return shown


def _file(body: bytes, fmt: str, name: str) -> Response:
    return attachment(body, MEDIA_TYPES[fmt], name)


def _name(shown: Shown, what: str, fmt: str) -> str:
    return f"parindex-round{shown.round.id}-run{shown.run.version}-{what}.{fmt}"


@bp.get("/<int:round_id>/ranking.xlsx")
def ranking_xlsx(round_id: int):
    shown = _shown(round_id)
    files = _files()
    body = files.results_xlsx(files.results_export(shown), get_language())
    return _file(body, "xlsx", _name(shown, "results", "xlsx"))


@bp.get("/<int:round_id>/ranking.csv")
def ranking_csv_file(round_id: int):
    shown = _shown(round_id)
    files = _files()
    return _file(files.ranking_csv(files.results_export(shown)), "csv",
                 _name(shown, "ranking", "csv"))  # fmt: skip


@bp.get("/<int:round_id>/scorecards.csv")
def scorecards_csv_file(round_id: int):
    shown = _shown(round_id)
    files = _files()
    body = files.scorecards_csv(files.results_export(shown))
    return _file(body, "csv", _name(shown, "scorecards", "csv"))


@bp.get("/<int:round_id>/microdata.<fmt>")
@require_role("admin")
def microdata(round_id: int, fmt: str):
    # pandas and pyreadstat load here, not when the app starts (every CLI command does)
    from survey_app.results.exports.microdata import ExportError, load_microdata
    from survey_app.results.exports.microdata_files import microdata_bytes

    if fmt not in FORMATS:
        abort(404)
    rnd = get_round(round_id)
    try:
        body = microdata_bytes(load_microdata(rnd, get_language()), fmt)
    except ExportError as exc:
        abort(409, str(exc))
    return _file(body, fmt, f"parindex-round{rnd.id}-microdata.{fmt}")
