"""comment thread index with the id, so a thread's counts and newest page come from the index

Revision ID: 5b1f0c2d7a91
Revises: e824d71bb212
Create Date: 2026-11-24 21:05:00

"""
from alembic import op


revision = '5b1f0c2d7a91'
down_revision = 'e824d71bb212'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_target')
        batch_op.create_index('ix_comments_target', ['target_type', 'target_id', 'parent_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_target')
        batch_op.create_index('ix_comments_target', ['target_type', 'target_id', 'parent_id'], unique=False)
