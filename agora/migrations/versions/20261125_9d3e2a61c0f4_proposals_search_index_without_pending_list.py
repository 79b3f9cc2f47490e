"""proposals: full-text index without a pending list (PostgreSQL)

With GIN's default fastupdate, new proposals wait in an unsorted pending list that every search
scans until (auto)vacuum merges it: after 10,000 inserts a two-word search took 1.5 ms in the
database instead of 0.2 ms. Proposals are written far less often than searched, so they go
into the index directly.

Revision ID: 9d3e2a61c0f4
Revises: 4c1402ba88b6
Create Date: 2026-11-25 00:05:00

"""
from alembic import op


revision = '9d3e2a61c0f4'
down_revision = '4c1402ba88b6'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_proposals_search SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_proposals_search'::regclass)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_proposals_search RESET (fastupdate)")
