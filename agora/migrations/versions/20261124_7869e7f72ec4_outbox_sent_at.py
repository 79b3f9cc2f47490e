"""outbox: sent_at (mail is delivered by a background job, which marks what it sent)

Revision ID: 7869e7f72ec4
Revises: a3c9e5d17b42
Create Date: 2026-11-24 23:35:02.368239

"""
from alembic import op
import sqlalchemy as sa


revision = '7869e7f72ec4'
down_revision = 'a3c9e5d17b42'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch rebuild of the table on SQLite).
    op.add_column('outbox_messages', sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
    # Messages from before were delivered (or not) when they were made: never send them again.
    op.execute("UPDATE outbox_messages SET sent_at = created_at")


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
