"""Rounds: open links per round, unit and respondent group.

Revision ID: 0201
Revises: 0101
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

import survey_app.core.db

revision = "0201"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("stratum", sa.String(length=64), nullable=False),
        sa.Column("psu", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("suspicious_bursts", sa.Integer(), nullable=False),
        sa.Column("created_at", survey_app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("suspicious_bursts >= 0", name=op.f("ck_open_links_bursts_not_negative")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_open_links_round_id_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_open_links_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_links")),
        sa.UniqueConstraint("round_id", "unit_id", "group_code", name=op.f("uq_open_links_round_id_unit_id_group_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_open_links_token_hash")),
    )


def downgrade():
    op.drop_table("open_links")
