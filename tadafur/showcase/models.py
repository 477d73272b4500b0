"""What the showcase adds to the data: where a replicated project came from, the photos an
association allowed to publish (with their web copies), and the lessons index.

`Lesson` is a derived index, never edited by hand: it is rebuilt from the final report and
the evaluation entries whenever they are flushed (see `lessons.py`), so the library can
search one narrow table (FTS5 on SQLite, full text and trigrams on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, Boolean, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import Project


class Replication(db.Model):
    """A project started from another one ("start from this project")."""

    __tablename__ = "project_replication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            unique=True)
    source_project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True)
    with_amounts: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(foreign_keys=[project_id])
    source: Mapped[Project] = relationship(foreign_keys=[source_project_id])


class PublicPhoto(db.Model):
    """An evidence photo the association allowed to publish, with the consent of the people
    shown confirmed. `stored_name` is the web copy (re-encoded JPEG, metadata stripped,
    resized) in the attachments store; the original is never served publicly."""

    __tablename__ = "public_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), unique=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    consent_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lesson(db.Model):
    """One lesson or recommendation of a project (derived from the reporting module)."""

    __tablename__ = "lesson"
    __table_args__ = (
        Index("ix_lesson_source", "source", "source_id"),
        Index("ix_lesson_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    source: Mapped[str] = mapped_column(String(20))  # final_report | evaluation
    source_id: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))  # lesson | recommendation
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)  # normalised (see lessons.normalise)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The search structures the ORM cannot describe: created with the table (tests build the
# schema with create_all) and by migration 0019.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE lesson_fts USING fts5(search_text, content='lesson', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER lesson_fts_insert AFTER INSERT ON lesson BEGIN "
    "INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER lesson_fts_delete AFTER DELETE ON lesson BEGIN "
    "INSERT INTO lesson_fts(lesson_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER lesson_fts_update AFTER UPDATE ON lesson BEGIN "
    "INSERT INTO lesson_fts(lesson_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_FTS_DROP = ["DROP TRIGGER IF EXISTS lesson_fts_insert",
                   "DROP TRIGGER IF EXISTS lesson_fts_delete",
                   "DROP TRIGGER IF EXISTS lesson_fts_update",
                   "DROP TABLE IF EXISTS lesson_fts"]
PG_TRGM = "CREATE EXTENSION IF NOT EXISTS pg_trgm"

event.listen(Lesson.__table__, "before_create", DDL(PG_TRGM).execute_if(dialect="postgresql"))
for _statement in SQLITE_FTS:
    event.listen(Lesson.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_FTS_DROP:
    event.listen(Lesson.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
