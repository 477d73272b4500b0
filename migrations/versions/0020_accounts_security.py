"""Accounts security: session version, TOTP second factor, recovery codes, rate events,
and whether a sign-off checked the second factor

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 15:00:00

"""
import sqlalchemy as sa
from alembic import op

import tadafur.models_base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', tadafur.models_base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('workflow_signoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('monitoring_report_validation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', tadafur.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_recovery_code_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)
    op.create_table(
        'rate_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('key', sa.String(length=254), nullable=False),
        sa.Column('at', tadafur.models_base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_event')),
    )
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.create_index('ix_rate_event_kind_key_at', ['kind', 'key', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_event_kind_key_at')
    op.drop_table('rate_event')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('monitoring_report_validation', schema=None) as batch_op:
        batch_op.drop_column('second_factor')
    with op.batch_alter_table('workflow_signoff', schema=None) as batch_op:
        batch_op.drop_column('second_factor')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_version')
