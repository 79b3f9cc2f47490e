"""panel draws, quotas and background jobs

The published commitment and result of a panel's draw, quotas on the panel, drop-out reasons on
respondents, and the generic background job table (agora.jobs).

Revision ID: 2fed35750484
Revises: e824d71bb212
Create Date: 2026-11-24 20:55:03.985285

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2fed35750484'
down_revision = 'e824d71bb212'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)

    op.create_table('panel_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('lottery_panels', sa.Integer(), nullable=True),
    sa.Column('alternates', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pool_csv', sa.Text(), nullable=False),
    sa.Column('pool_sha256', sa.String(length=64), nullable=False),
    sa.Column('quotas_csv', sa.Text(), nullable=False),
    sa.Column('quotas_sha256', sa.String(length=64), nullable=False),
    sa.Column('library_version', sa.String(length=40), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_by_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.String(length=200), nullable=True),
    sa.Column('seed_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seed_entered_by_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replacements', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['committed_by_id'], ['users.id'], name=op.f('fk_panel_draws_committed_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_panel_draws_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_draws_panel_id_panels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seed_entered_by_id'], ['users.id'], name=op.f('fk_panel_draws_seed_entered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_draws')),
    sa.UniqueConstraint('panel_id', name=op.f('uq_panel_draws_panel_id'))
    )
    with op.batch_alter_table('panel_respondents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quotas', sa.JSON(), nullable=False, server_default='[]'))



def downgrade():
    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.drop_column('quotas')

    with op.batch_alter_table('panel_respondents', schema=None) as batch_op:
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')

    op.drop_table('panel_draws')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_kind'))

    op.drop_table('jobs')
