"""Read-only queries of the home page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.rounds.models import Round


def list_rounds() -> list[Round]:
    stmt = (
        select(Round)
        .options(selectinload(Round.criteria_sets), selectinload(Round.units))
        .order_by(Round.created_at.desc())
    )
    return list(db.session.scalars(stmt))
