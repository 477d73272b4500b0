"""My tasks in the database: the awaited_action table (what each project awaits from whoever
holds a role for one of its parties), kept in step by tadafur.workflow.awaiting, and the
projects per commune and state (project_state_count, tadafur.workflow.counts)

Both are filled here for the existing projects by the same Python rules that keep it (the
workflow definitions and guards are code, not SQL), on the migration's own connection.
`flask --app wsgi tasks rebuild` recomputes it at any time (after a restore, say).

Revision ID: 0021
Revises: 0017
Create Date: 2026-11-30 19:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0021'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'awaited_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('triggers', sa.String(length=400), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('sort_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'],
                                name=op.f('fk_awaited_action_project_id_project'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_awaited_action')),
        sa.UniqueConstraint('project_id', 'party', 'organisation_id', 'role',
                            name=op.f('uq_awaited_action_project_id')),
    )
    op.create_index('ix_awaited_action_holder', 'awaited_action',
                    ['party', 'organisation_id', 'role', 'sort_at', 'project_id'])
    op.create_table(
        'project_state_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=60), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['commune.id'],
                                name=op.f('fk_project_state_count_commune_id_commune')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_state_count')),
        sa.UniqueConstraint('commune_id', 'state',
                            name=op.f('uq_project_state_count_commune_id')),
    )
    _fill()


def _fill():
    """The rows of the projects already there, with the running release's rules (imported
    here: a migration module is loaded before the app is, and only when it runs)."""
    from tadafur.extensions import db
    from tadafur.workflow import awaiting

    with Session(bind=op.get_bind()) as own:
        # the rules read through tadafur.extensions.db.session: point it at the migration's
        # connection while they run (SQLite would otherwise wait on its own write lock)
        original = db.session
        db.session = own
        try:
            awaiting.rebuild(own)
            own.flush()
        finally:
            db.session = original


def downgrade():
    op.drop_table('project_state_count')
    op.drop_index('ix_awaited_action_holder', table_name='awaited_action')
    op.drop_table('awaited_action')
