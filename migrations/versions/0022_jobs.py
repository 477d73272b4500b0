"""Jobs: long work off the request (the `job` table; on PostgreSQL, procrastinate's schema)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 19:00:00

"""
import sqlalchemy as sa
from alembic import op

from tadafur.jobs.models import apply_procrastinate_schema
from tadafur.models_base import UTCDateTime

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('params_json', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('error_code', sa.String(length=40), nullable=True),
        sa.Column('error_params_json', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('run_after', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_job_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE',
                                name=op.f('fk_job_project_id_project')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    op.create_index('ix_job_state_run_after', 'job', ['state', 'run_after'])
    op.create_index('ix_job_project_state', 'job', ['project_id', 'state'])
    # procrastinate's tables and functions, from the installed version (PostgreSQL only)
    apply_procrastinate_schema(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, '
                   'procrastinate_jobs, procrastinate_workers CASCADE')
    op.drop_index('ix_job_project_state', table_name='job')
    op.drop_index('ix_job_state_run_after', table_name='job')
    op.drop_table('job')
