"""Financial closure: the final report's justification of undisbursed money or spending
above what was disbursed

Revision ID: 0017
Revises: 0020
Create Date: 2026-11-30 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('final_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('financial_justification', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('final_report', schema=None) as batch_op:
        batch_op.drop_column('financial_justification')
