"""Reading units, their kinds and previous results for the admin pages."""

from __future__ import annotations

from itertools import groupby

from flask import abort
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.rounds.models import round_units
from survey_app.units.models import PreviousResult, Unit, UnitKind


def get_unit(unit_id: int) -> Unit:
    return db.session.get(Unit, unit_id) or abort(404)


def list_units_by_kind() -> list[tuple[UnitKind, list[Unit]]]:
    """Every unit, grouped by kind (kinds and units by code)."""
    units = db.session.scalars(select(Unit).join(Unit.kind).order_by(UnitKind.code, Unit.code))
    return [(kind, list(group)) for kind, group in groupby(units, key=lambda u: u.kind)]


def list_unit_codes() -> set[str]:
    return set(db.session.scalars(select(Unit.code)))


def list_latest_previous() -> dict[int, PreviousResult]:
    """Unit id → its previous result of the latest year."""
    rows = db.session.scalars(select(PreviousResult).order_by(PreviousResult.year))
    return {row.unit_id: row for row in rows}


def list_previous_by_year() -> list[tuple[int, list[tuple[Unit, PreviousResult]]]]:
    """Stored previous results, latest year first, units by code."""
    rows = db.session.execute(
        select(PreviousResult.year, Unit, PreviousResult)
        .join(Unit, Unit.id == PreviousResult.unit_id)
        .order_by(PreviousResult.year.desc(), Unit.code)
    ).all()
    return [
        (year, [(u, r) for _, u, r in group]) for year, group in groupby(rows, key=lambda x: x[0])
    ]


def count_rounds_of(unit: Unit) -> int:
    """How many rounds (of any state) include the unit."""
    return db.session.scalar(
        select(func.count()).select_from(round_units).where(round_units.c.unit_id == unit.id)
    )
