"""Amendments (avenants, ملاحق) of a running project.

An amendment holds the proposed changes with the values in force when it was proposed
(`changes_json`), its justification, and the hash the parties' sign-offs bind to. Its
sign-offs are ordinary `workflow_signoff` rows of the gate `amendment`, round = the
amendment's id. While it is open, `amendment_lock` rows name what it touches
(`budget_line:12`, `end_date`...): unique per project, so two open amendments can never touch
the same thing, whatever the timing. Approved, it points to its sealed PDF and to the
consolidated convention it produced.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import Project

OPEN, APPROVED, REJECTED = "open", "approved", "rejected"


class Amendment(db.Model):
    __tablename__ = "amendment"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2... per project
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    kinds: Mapped[str] = mapped_column(String(200))  # comma-separated kinds of change
    parties: Mapped[str] = mapped_column(String(100))  # comma-separated required parties
    justification: Mapped[str] = mapped_column(Text)
    changes_json: Mapped[str] = mapped_column(Text)  # canonical JSON, before/after values
    subject_hash: Mapped[str] = mapped_column(String(64))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # overdue: told once
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # officers told
    document_id: Mapped[int | None] = mapped_column(ForeignKey("registered_document.id"))
    consolidated_id: Mapped[int | None] = mapped_column(ForeignKey("registered_document.id"))

    project: Mapped[Project] = relationship()
    proposed_by: Mapped[User] = relationship(lazy="joined")

    @property
    def changes(self) -> dict:
        return json.loads(self.changes_json)

    @property
    def kind_list(self) -> list[str]:
        return [k for k in self.kinds.split(",") if k]

    @property
    def party_list(self) -> list[str]:
        return [p for p in self.parties.split(",") if p]

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class AmendmentLock(db.Model):
    """What an open amendment touches; the unique key refuses a second amendment on it."""

    __tablename__ = "amendment_lock"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id", ondelete="CASCADE"),
                                              index=True)
    key: Mapped[str] = mapped_column(String(60))
