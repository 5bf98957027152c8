"""Open links: one submission per opening, and responses marked when they came in a burst
(issue 17 item 5).

``open_link_nonces``: a random nonce (its SHA-256) per opening of an open link, deleted by
the submit that uses it, so a replayed cookie stores nothing. ``responses.is_burst``: the
response came through an open link above its per-minute burst threshold; a run may leave
such responses out.

Revision ID: 0931
Revises: 0905
Create Date: 2026-12-02 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from survey_app.core.db import UTCDateTime

revision = "0931"
down_revision = "0905"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open_link_nonces",
        sa.Column("nonce_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("open_link_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["open_link_id"],
            ["open_links.id"],
            name=op.f("fk_open_link_nonces_open_link_id_open_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_open_link_nonces")),
    )
    op.create_index(
        op.f("ix_open_link_nonces_created_at"), "open_link_nonces", ["created_at"], unique=False
    )
    column = sa.Column("is_burst", sa.Boolean(), nullable=False, server_default=sa.false())
    op.add_column("responses", column)


def downgrade():
    # plain DROP COLUMN (SQLite 3.35+), as in 0803
    op.drop_column("responses", "is_burst")
    op.drop_index(op.f("ix_open_link_nonces_created_at"), table_name="open_link_nonces")
    op.drop_table("open_link_nonces")
