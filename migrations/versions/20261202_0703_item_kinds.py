"""Every item has a kind; choice lists may be categorical (issue 19, XLSForm as Kobo/ODK
write it).

``items.kind``: ``scale`` (scored, as every item was until now), ``choice``, ``multiple``,
``text``, ``integer``, ``decimal``, ``date`` or ``note``; only ``scale`` items reach the
aggregation. ``items.minimum``/``maximum``: the range of an integer or decimal answer.
``items.hint_vi``/``hint_en``: an XLSForm hint shown under the question.
``items.scale_id`` may be null (a text, number, date or note has no list).
``scale_levels.name``: the XLSForm name of a categorical choice (its value is then its
position); such levels have no score without being "don't know", so the check becomes
"a score only on a level that is not missing".

Revision ID: 0703
Revises: 0701
Create Date: 2026-12-02 09:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0703'
down_revision = '0701'
branch_labels = None
depends_on = None

_OLD_CHECK = "(is_missing AND score IS NULL) OR (NOT is_missing AND score >= 0 AND score <= 1)"
_NEW_CHECK = "score IS NULL OR (NOT is_missing AND score >= 0 AND score <= 1)"


def _rebuild_items(nullable: bool) -> None:
    """``items.scale_id`` nullable or not. On SQLite that rebuilds the items table, and
    dropping the old one would cascade to item_groups (foreign keys are on): they are
    kept aside meanwhile."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE keep_item_groups AS SELECT * FROM item_groups")
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.alter_column('scale_id', existing_type=sa.Integer(), nullable=nullable)
    if sqlite:
        op.execute("DELETE FROM item_groups")
        op.execute("INSERT INTO item_groups SELECT * FROM keep_item_groups")
        op.execute("DROP TABLE keep_item_groups")


def _check(text: str) -> None:
    with op.batch_alter_table('scale_levels', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scale_levels_score_or_missing'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scale_levels_score_or_missing'), text)


def upgrade():
    op.add_column(
        'items', sa.Column('kind', sa.String(length=16), server_default='scale', nullable=False)
    )
    op.add_column('items', sa.Column('minimum', sa.Float(), nullable=True))
    op.add_column('items', sa.Column('maximum', sa.Float(), nullable=True))
    op.add_column('items', sa.Column('hint_vi', sa.Text(), nullable=True))
    op.add_column('items', sa.Column('hint_en', sa.Text(), nullable=True))
    op.add_column('scale_levels', sa.Column('name', sa.String(length=64), nullable=True))
    _rebuild_items(nullable=True)
    _check(_NEW_CHECK)


def downgrade():
    other = op.get_bind().execute(
        sa.text("SELECT count(*) FROM items WHERE kind <> 'scale' OR scale_id IS NULL")
    ).scalar()
    if other:
        raise RuntimeError(
            f"{other} item(s) are not scored scales (text, number, date, choice …): the "
            "schema before 0703 cannot hold them; delete those questionnaires first"
        )
    _check(_OLD_CHECK)
    _rebuild_items(nullable=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in (('scale_levels', 'name'), ('items', 'hint_en'), ('items', 'hint_vi'),
                          ('items', 'maximum'), ('items', 'minimum'), ('items', 'kind')):
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
