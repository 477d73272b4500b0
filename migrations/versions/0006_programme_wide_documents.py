"""Programme-wide registered documents: an audit extract across projects has no project

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registered_document', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('registered_document', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=False)
