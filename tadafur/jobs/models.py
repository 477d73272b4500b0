"""A job: long work (render and seal a document, send e-mails, verify the audit chain) asked
for in a transaction and done after it commits, by a worker.

The row is written in the caller's transaction, so a job exists if and only if what asked for
it committed. `params` are the handler's JSON arguments (ids, never objects); a failure is kept
as a code and its parameters (`error_code`, `error_params`), put into words in the reader's
language when shown (tadafur.jobs.registry.ERRORS): never translated text.
"""

from __future__ import annotations

import datetime as dt
import json

from procrastinate.schema import SchemaManager
from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import Project

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)
PENDING = (QUEUED, RUNNING)


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_state_run_after", "state", "run_after"),
        Index("ix_job_project_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_params_json: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project | None] = relationship()

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")

    @property
    def error_params(self) -> dict:
        return json.loads(self.error_params_json or "{}")

    @property
    def pending(self) -> bool:
        return self.state in PENDING


def apply_procrastinate_schema(connection) -> None:
    """procrastinate's tables and functions (PostgreSQL only), from the installed version:
    the migration that adds jobs and the tests' schema run it. Executed on the driver's
    cursor without parameters, so its "%" stay as they are."""
    if connection.dialect.name != "postgresql":
        return
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(SchemaManager.get_schema())


PROCRASTINATE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers",
                        "procrastinate_jobs", "procrastinate_workers")


def clear_procrastinate(connection) -> None:
    """Empty procrastinate's tables (tests that commit for real clean up after themselves)."""
    if connection.dialect.name != "postgresql":
        return
    present = set(connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE tablename = ANY(:names)"),
        {"names": list(PROCRASTINATE_TABLES)}))
    for name in PROCRASTINATE_TABLES:  # referencing tables first; DELETE: see reset_data
        if name in present:
            connection.exec_driver_sql(f"DELETE FROM {name}")
