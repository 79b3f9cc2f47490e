"""budget projects: panel goal (a project may respond to an adopted citizens' panel goal)

Revision ID: 4c1402ba88b6
Revises: 040ca856844c
Create Date: 2026-11-25 00:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '4c1402ba88b6'
down_revision = '040ca856844c'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN and CREATE INDEX (no batch rebuild of the table on SQLite); no foreign key, like
    # proposals.panel_goal_id: the services check the goal.
    op.add_column('budget_projects', sa.Column('panel_goal_id', sa.Integer(), nullable=True))
    op.create_index('ix_budget_projects_panel_goal_id', 'budget_projects', ['panel_goal_id'], unique=False)
    # Projects made from a proposal respond to the goal their proposal responds to.
    op.execute("UPDATE budget_projects SET panel_goal_id = (SELECT proposals.panel_goal_id FROM proposals "
               "WHERE proposals.id = budget_projects.proposal_id) WHERE proposal_id IS NOT NULL")


def downgrade():
    op.drop_index('ix_budget_projects_panel_goal_id', table_name='budget_projects')
    with op.batch_alter_table('budget_projects', schema=None) as batch_op:
        batch_op.drop_column('panel_goal_id')
