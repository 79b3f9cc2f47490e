"""comments: partial index for a long thread's page of top-level comments

Revision ID: c7d2e9a41b30
Revises: b5e81c4f2a70
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d2e9a41b30'
down_revision = 'b5e81c4f2a70'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comments_top_level', 'comments', ['target_type', 'target_id', 'id'], unique=False,
                    postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))


def downgrade():
    op.drop_index('ix_comments_top_level', table_name='comments')
