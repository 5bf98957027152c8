"""A questionnaire carries the introduction its respondents read above the first question
(issue 14): purpose, organisation, contact and anonymity statement in Vietnamese and
English, and the estimated minutes. All optional (null: the respondent page's default).

Plain ADD COLUMN / DROP COLUMN: ``questionnaires`` is referenced with ON DELETE CASCADE,
so it must never be rebuilt on SQLite (DROP COLUMN needs SQLite ≥ 3.35).

Revision ID: 0801
Revises: 0703
Create Date: 2026-12-02 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0801'
down_revision = '0703'
branch_labels = None
depends_on = None

_TEXTS = [
    f"{name}_{lang}"
    for name in ("purpose", "organisation", "contact", "anonymity")
    for lang in ("vi", "en")
]


def upgrade():
    for name in _TEXTS:
        op.add_column('questionnaires', sa.Column(name, sa.Text(), nullable=True))
    op.add_column('questionnaires', sa.Column('minutes', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('questionnaires', 'minutes')
    for name in reversed(_TEXTS):
        op.drop_column('questionnaires', name)
