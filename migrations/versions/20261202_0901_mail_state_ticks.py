"""Mail as an outbox of its own, and the scheduler's heartbeat (issue 15).

``invitations.mail_*``: the mail waiting to go out, its failed attempts, last reason,
next retry and the claim of the sender sending it. ``ticks``: the time of the last scheduler tick.

Revision ID: 0901
Revises: 0803
Create Date: 2026-12-02 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import survey_app.core.db

revision = "0901"
down_revision = "0803"
branch_labels = None
depends_on = None

WHEN = survey_app.core.db.UTCDateTime(timezone=True)


def upgrade():
    op.add_column("invitations", sa.Column("mail_kind", sa.String(length=16), nullable=True))
    op.add_column(
        "invitations",
        sa.Column("mail_attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("invitations", sa.Column("mail_error", sa.String(length=120), nullable=True))
    op.add_column("invitations", sa.Column("mail_retry_at", WHEN, nullable=True))
    op.add_column("invitations", sa.Column("mail_claimed_until", WHEN, nullable=True))
    op.create_table(
        "ticks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("beat_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ticks")),
    )


def downgrade():
    op.drop_table("ticks")
    # plain DROP COLUMN (SQLite 3.35+): a batch rebuild would cascade to drafts
    for name in ("mail_claimed_until", "mail_retry_at", "mail_error", "mail_attempts", "mail_kind"):
        op.drop_column("invitations", name)
