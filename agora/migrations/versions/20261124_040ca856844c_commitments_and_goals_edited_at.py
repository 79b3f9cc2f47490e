"""commitments and goals: edited_at (their title and description can be reworded)

Revision ID: 040ca856844c
Revises: 7869e7f72ec4
Create Date: 2026-11-24 23:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '040ca856844c'
down_revision = '7869e7f72ec4'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch rebuild of the tables on SQLite).
    op.add_column('commitment_goals', sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('commitments', sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
    with op.batch_alter_table('commitment_goals', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
