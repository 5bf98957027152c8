"""Invitations say whether a draft was saved for them.

The submit can then leave the drafts table alone when there is none (most respondents
never save), and on PostgreSQL store the whole response in one statement: the flag is on
the invitation row that the submit locks and re-checks, so a draft saved concurrently is
never missed (a lookup in the drafts table would read an older snapshot).

Revision ID: 0601
Revises: 0501
Create Date: 2026-11-26 13:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0601'
down_revision = '0501'
branch_labels = None
depends_on = None


# Not batch mode, either way: on SQLite a batch rebuilds the invitations table, and
# dropping the old one would cascade to the drafts (foreign keys are on). SQLite adds a
# column with a constant default in place, and drops one in place since 3.35.


def upgrade():
    op.add_column(
        'invitations',
        sa.Column('has_draft', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        "UPDATE invitations SET has_draft = true "
        "WHERE id IN (SELECT invitation_id FROM response_drafts)"
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invitations DROP COLUMN has_draft")
    else:
        op.drop_column('invitations', 'has_draft')
