"""Capitalisation: replications, public photos, and the lessons index (FTS5 on SQLite,
pg_trgm on PostgreSQL)

Revision ID: 0019
Revises: 0016
Create Date: 2026-11-30 15:30:00

"""
import sqlalchemy as sa
from alembic import op

from tadafur.models_base import UTCDateTime
from tadafur.showcase.models import PG_TRGM, SQLITE_FTS, SQLITE_FTS_DROP

revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'project_replication',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('source_project_id', sa.Integer(), nullable=False),
        sa.Column('with_amounts', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_project_replication_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE',
                                name=op.f('fk_project_replication_project_id_project')),
        sa.ForeignKeyConstraint(['source_project_id'], ['project.id'], ondelete='CASCADE',
                                name=op.f('fk_project_replication_source_project_id_project')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_replication')),
        sa.UniqueConstraint('project_id', name=op.f('uq_project_replication_project_id')),
    )
    op.create_index(op.f('ix_project_replication_source_project_id'), 'project_replication',
                    ['source_project_id'], unique=False)
    op.create_table(
        'public_photo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('caption', sa.String(length=300), nullable=False),
        sa.Column('consent_confirmed', sa.Boolean(), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ondelete='CASCADE',
                                name=op.f('fk_public_photo_attachment_id_attachment')),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE',
                                name=op.f('fk_public_photo_project_id_project')),
        sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'],
                                name=op.f('fk_public_photo_published_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_photo')),
        sa.UniqueConstraint('attachment_id', name=op.f('uq_public_photo_attachment_id')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_public_photo_stored_name')),
    )
    op.create_index(op.f('ix_public_photo_project_id'), 'public_photo', ['project_id'],
                    unique=False)
    op.create_table(
        'lesson',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE',
                                name=op.f('fk_lesson_project_id_project')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson')),
    )
    op.create_index(op.f('ix_lesson_project_id'), 'lesson', ['project_id'], unique=False)
    op.create_index('ix_lesson_source', 'lesson', ['source', 'source_id'], unique=False)
    if dialect == 'postgresql':
        op.execute(PG_TRGM)
    op.create_index('ix_lesson_search_trgm', 'lesson', ['search_text'], unique=False,
                    postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    if dialect == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    _index_existing_lessons()


def _index_existing_lessons():
    """Lessons written before this revision: the index is derived, so build it now."""
    from tadafur.showcase.lessons import normalise, split_lines

    bind = op.get_bind()
    rows = []
    for row in bind.execute(sa.text(
            "SELECT id, project_id, lessons, updated_at FROM final_report")):
        rows += [{"project_id": row.project_id, "source": "final_report", "source_id": row.id,
                  "party": "", "kind": "lesson", "body": line, "search_text": normalise(line),
                  "updated_at": row.updated_at} for line in split_lines(row.lessons)]
    for row in bind.execute(sa.text(
            "SELECT id, project_id, party, lessons, recommendations, updated_at"
            " FROM evaluation_entry")):
        for kind, text in (("lesson", row.lessons), ("recommendation", row.recommendations)):
            rows += [{"project_id": row.project_id, "source": "evaluation",
                      "source_id": row.id, "party": row.party, "kind": kind, "body": line,
                      "search_text": normalise(line), "updated_at": row.updated_at}
                     for line in split_lines(text)]
    if rows:
        bind.execute(sa.text(
            "INSERT INTO lesson (project_id, source, source_id, party, kind, body,"
            " search_text, updated_at) VALUES (:project_id, :source, :source_id, :party,"
            " :kind, :body, :search_text, :updated_at)"), rows)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    op.drop_index('ix_lesson_search_trgm', table_name='lesson')
    op.drop_index('ix_lesson_source', table_name='lesson')
    op.drop_index(op.f('ix_lesson_project_id'), table_name='lesson')
    op.drop_table('lesson')
    op.drop_index(op.f('ix_public_photo_project_id'), table_name='public_photo')
    op.drop_table('public_photo')
    op.drop_index(op.f('ix_project_replication_source_project_id'),
                  table_name='project_replication')
    op.drop_table('project_replication')
