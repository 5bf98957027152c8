"""results: at most one published aggregation run per round

Revision ID: 0301
Revises: 0201
Create Date: 2026-11-26 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0301"
down_revision = "0201"
branch_labels = None
depends_on = None

INDEX = "uq_aggregation_runs_published_round_id"


def upgrade():
    with op.batch_alter_table("aggregation_runs", schema=None) as batch_op:
        batch_op.create_index(
            INDEX,
            ["round_id"],
            unique=True,
            sqlite_where=sa.text("is_published"),
            postgresql_where=sa.text("is_published"),
        )


def downgrade():
    with op.batch_alter_table("aggregation_runs", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
