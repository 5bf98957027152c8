"""Changes to units and unit kinds."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.formats.previous_csv import PreviousRow
from survey_app.formats.units_csv import UnitSpec
from survey_app.units.models import PreviousResult, Unit, UnitKind


def get_or_create_kind(code: str) -> UnitKind:
    kind = db.session.scalar(select(UnitKind).where(UnitKind.code == code))
    if kind is None:
        kind = UnitKind(code=code, name_vi=code, name_en=code)
        db.session.add(kind)
        db.session.flush()
    return kind


def import_units(specs: list[UnitSpec]) -> tuple[int, int]:
    """Create new units and update the names and kinds of known ones; returns (new, updated)."""
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    created = updated = 0
    for spec in specs:
        kind = get_or_create_kind(spec.kind)
        unit = existing.get(spec.code)
        if unit is None:
            db.session.add(
                Unit(code=spec.code, kind=kind, name_vi=spec.name_vi, name_en=spec.name_en)
            )
            created += 1
        elif (unit.kind_id, unit.name_vi, unit.name_en) != (kind.id, spec.name_vi, spec.name_en):
            unit.kind, unit.name_vi, unit.name_en = kind, spec.name_vi, spec.name_en
            updated += 1
    db.session.flush()
    log_change("units.import", "unit", new={"created": created, "updated": updated})
    return created, updated


def set_previous_result(unit: Unit, year: int, index_value: float) -> None:
    row = db.session.scalar(
        select(PreviousResult).where(PreviousResult.unit_id == unit.id, PreviousResult.year == year)
    )
    if row is None:
        db.session.add(PreviousResult(unit_id=unit.id, year=year, index_value=index_value))
    else:
        row.index_value = index_value


def import_previous_results(rows: list[PreviousRow]) -> int:
    """Store validated rows (their units exist); an existing unit and year is replaced."""
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for row in rows:
        set_previous_result(units[row.unit], row.year, row.index)
    db.session.flush()
    years = sorted({row.year for row in rows})
    log_change("units.import_previous", "previous_result", new={"rows": len(rows), "years": years})
    return len(rows)


def rename_unit(unit: Unit, name_vi: str, name_en: str) -> None:
    old = {"name_vi": unit.name_vi, "name_en": unit.name_en}
    new = {"name_vi": name_vi, "name_en": name_en}
    if old == new:
        return
    unit.name_vi, unit.name_en = name_vi, name_en
    log_change("unit.rename", "unit", unit.id, unit_id=unit.id, old=old, new=new)


def deactivate_unit(unit: Unit) -> None:
    """Not offered for new rounds any more; past rounds and results keep it."""
    if unit.is_active:
        unit.is_active = False
        _log_active(unit, "unit.deactivate")


def reactivate_unit(unit: Unit) -> None:
    if not unit.is_active:
        unit.is_active = True
        _log_active(unit, "unit.reactivate")


def _log_active(unit: Unit, action: str) -> None:
    was = not unit.is_active
    log_change(
        action, "unit", unit.id, unit_id=unit.id, old={"is_active": was}, new={"is_active": not was}
    )
