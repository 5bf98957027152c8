"""Answers on the response row: one JSON object per response, no answers table.

The worker read a round by pivoting the answers table (12 rows per response) into
columns, which was most of an aggregation's time; read from the response row, each
answer is one ``->>`` away. The data moves both ways: upgrade gathers each response's
rows into its object, downgrade spreads the objects back into rows.

Revision ID: 0501
Revises: 0401
Create Date: 2026-11-26 09:50:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0501'
down_revision = '0401'
branch_labels = None
depends_on = None


_ANSWERS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: Each response's answer rows as one object (responses without answers get ``{}``).
_GATHER = {
    "postgresql": """
        UPDATE responses SET answers = COALESCE(
            (SELECT jsonb_object_agg(a.item_code, a.value) FROM answers a
             WHERE a.response_id = responses.id),
            '{}'::jsonb)
    """,
    "sqlite": """
        UPDATE responses SET answers = COALESCE(
            (SELECT json_group_object(item_code, value) FROM (
                SELECT a.item_code, a.value FROM answers a
                WHERE a.response_id = responses.id ORDER BY a.item_code)),
            '{}')
    """,
}
#: Each key of each response's object as an answer row.
_SPREAD = {
    "postgresql": """
        INSERT INTO answers (response_id, item_code, value)
        SELECT r.id, e.key, e.value::int FROM responses r, jsonb_each_text(r.answers) e
    """,
    "sqlite": """
        INSERT INTO answers (response_id, item_code, value)
        SELECT r.id, e.key, e.value FROM responses r, json_each(r.answers) e
    """,
}


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', _ANSWERS, nullable=True))
    op.execute(_GATHER[dialect])
    # Before NOT NULL: on SQLite that rebuilds the responses table, and dropping the old
    # one would cascade to the answers rows (foreign keys are on).
    op.drop_table('answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('answers', existing_type=_ANSWERS, nullable=False)


def downgrade():
    dialect = op.get_bind().dialect.name
    # As 0401 left it: on PostgreSQL the response id compares byte by byte ("C").
    response_id = sa.String(length=32).with_variant(
        sa.String(length=32, collation="C"), "postgresql"
    )
    op.create_table('answers',
    sa.Column('response_id', response_id, nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_code', name=op.f('pk_answers'))
    )
    op.execute(_SPREAD[dialect])
    if dialect == "sqlite":
        # Not batch mode: rebuilding responses would cascade to the rows just written.
        # SQLite drops a column in place since 3.35.
        op.execute("ALTER TABLE responses DROP COLUMN answers")
    else:
        op.drop_column('responses', 'answers')
