"""How documents address a person: "f" or "m" (la Présidente / le Président, رئيسة / رئيس)

Revision ID: 0015
Revises: 0006
Create Date: 2026-11-30 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('civility', sa.String(length=1), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('civility')
