"""Drop ``users.failed_logins`` and ``users.locked_until``: sign-in pauses are counted per
account and address in the rate-limit store (``survey_app/accounts/lockout.py``).

Revision ID: 0905
Revises: 0901
Create Date: 2026-12-02 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import survey_app.core.db

revision = "0905"
down_revision = "0901"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("locked_until", survey_app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
