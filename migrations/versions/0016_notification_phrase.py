"""Notifications keep their sentence as a code and parameters (put into words when read)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 15:00:00

Rows written before this revision keep their `message` (in the language of the moment they
were created) and are shown as they are: a read-time fallback, nothing is rewritten.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phrase', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('phrase')
