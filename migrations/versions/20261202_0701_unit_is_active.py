"""Units can be deactivated: a deactivated unit is not offered for new rounds.

Existing units stay active (server default true); past rounds and results keep their
units either way.

Revision ID: 0701
Revises: 0601
Create Date: 2026-12-02 07:01:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0701'
down_revision = '0601'
branch_labels = None
depends_on = None


# Not batch mode, either way: on SQLite a batch rebuilds the units table, and dropping
# the old one would cascade to previous results (foreign keys are on). SQLite adds a
# column with a constant default in place, and drops one in place since 3.35.


def upgrade():
    op.add_column(
        'units',
        sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE units DROP COLUMN is_active")
    else:
        op.drop_column('units', 'is_active')
