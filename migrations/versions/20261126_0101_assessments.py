"""assessments: self-assessment deadline on rounds; audit log append-only in the database

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-26 10:01:00

The audit log refuses DELETE and any UPDATE except the one its foreign keys make
themselves (``ON DELETE SET NULL`` of a user, unit or round sets the reference to null;
the entry's content never changes). TRUNCATE stays possible for the owner of the
database (tests empty every table with it).
"""

from alembic import op
import sqlalchemy as sa
import survey_app.core.db


revision = "0101"
down_revision = "0001"
branch_labels = None
depends_on = None

_CONTENT = ("id", "created_at", "actor", "action", "object_type", "object_id", "reason")
_JSON = ("old", "new")
_REFERENCES = ("user_id", "unit_id", "round_id")


def _changed(compare: str, cast: str) -> str:
    """SQL that is true when an UPDATE changes the content or re-points a reference."""
    parts = [f"NEW.{c} {compare} OLD.{c}" for c in _CONTENT]
    parts += [f"CAST(NEW.{c} AS {cast}) {compare} CAST(OLD.{c} AS {cast})" for c in _JSON]
    parts += [f"(NEW.{c} IS NOT NULL AND NEW.{c} {compare} OLD.{c})" for c in _REFERENCES]
    return " OR ".join(parts)


_PG_FUNCTION = f"""
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR ({_changed("IS DISTINCT FROM", "text")}) THEN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.add_column(
        "rounds",
        sa.Column("self_deadline_at", survey_app.core.db.UTCDateTime(timezone=True), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            f"WHEN {_changed('IS NOT', 'TEXT')} "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
        op.drop_column("rounds", "self_deadline_at")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
        # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35) rather than a batch copy: copying
        # ``rounds`` would drop it, and its ON DELETE CASCADE would empty the child tables.
        op.execute("ALTER TABLE rounds DROP COLUMN self_deadline_at")
