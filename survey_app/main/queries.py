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


#: How long (seconds) the health check waits for ``SELECT 1`` once connected.
HEALTH_SECONDS = 2


def database_answers() -> bool:
    """Whether the database answers ``SELECT 1`` (connecting waits at most the connect
    timeout; the statement at most :data:`HEALTH_SECONDS`)."""
    from survey_app.core.dbtimeouts import deadlines
    from survey_app.core.outages import OUTAGE_ERRORS

    try:
        pooled = db.engine.raw_connection()
    except OUTAGE_ERRORS:
        return False
    try:
        if db.engine.dialect.name == "postgresql":
            deadlines.arm(pooled.dbapi_connection, HEALTH_SECONDS)
        cursor = pooled.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
        pooled.rollback()
    except OUTAGE_ERRORS:
        pooled.invalidate()  # not back to the pool: the next request opens a new one
        return False
    finally:
        pooled.close()
    return True
