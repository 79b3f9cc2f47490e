"""proposals: partial covering index for a district's visible listing

Revision ID: a3c9e5d17b42
Revises: bdbf40c0d354
Create Date: 2026-11-24 22:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a3c9e5d17b42'
down_revision = 'bdbf40c0d354'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX (no batch table rebuild: the SQLite full-text triggers stay in place).
    op.create_index('ix_proposals_district_listing', 'proposals', ['district_id', 'status', 'support_count', 'id'],
                    unique=False, postgresql_where=sa.text('hidden_at IS NULL'),
                    sqlite_where=sa.text('hidden_at IS NULL'))


def downgrade():
    op.drop_index('ix_proposals_district_listing', table_name='proposals')
