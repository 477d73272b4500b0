"""The project row lock: every change to a project (its content, its workflow state, an
amendment, an execution record, a report) takes it first, so that concurrent changes queue
(SELECT ... FOR UPDATE on PostgreSQL) and re-read what the other one wrote.
"""

from __future__ import annotations

from sqlalchemy import select

from tadafur.extensions import db
from tadafur.projects.models import Project


def lock(project: Project) -> Project:
    """Re-read the project row under a lock (FOR UPDATE on PostgreSQL) for this transaction."""
    return db.session.execute(
        select(Project).where(Project.id == project.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
