"""A questionnaire may name the categorical question whose answer is the respondent group
(issue 19: XLSForm ``settings`` column ``group_question``).

``questionnaires.group_question``: the code of a ``choice`` item, or null. A plain
ADD COLUMN on both databases (no table rebuild: other tables reference questionnaires).

Revision ID: 0803
Revises: 0801
Create Date: 2026-12-02 10:35:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0803"
down_revision = "0801"
branch_labels = None
depends_on = None


def upgrade():
    column = sa.Column("group_question", sa.String(length=32), nullable=True)
    op.add_column("questionnaires", column)


def downgrade():
    # plain DROP COLUMN (SQLite 3.35+): a batch rebuild of questionnaires would cascade
    # to its scales, sections and items
    op.drop_column("questionnaires", "group_question")
