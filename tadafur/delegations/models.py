"""Delegations of sign-off: a signatory lets another member of the same organisation sign in
their place, for a period and a scope (all projects or some), with a reason.

A delegation is never deleted: revoking sets `revoked_at`, expiry is recorded once in
`expiry_recorded_at` (so the audit trail tells it once). Whether a delegate may act is decided
in `tadafur.access.delegation_for`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import Project

delegation_project = Table(
    "delegation_project",
    db.metadata,
    Column("delegation_id", ForeignKey("delegation.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
)


class Delegation(db.Model):
    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period_in_order"),
        CheckConstraint("delegator_id <> delegate_id", name="not_to_oneself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))  # the delegator's role that is delegated
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)  # last day included
    all_projects: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expiry_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id], lazy="joined")
    # The delegate's mandates, loaded once per user and session (access checks read them
    # for every project of a page without one query each).
    delegate: Mapped[User] = relationship(
        foreign_keys=[delegate_id], lazy="joined",
        backref=backref("received_delegations", lazy="select",
                        foreign_keys=[delegate_id]))
    projects: Mapped[list[Project]] = relationship(secondary=delegation_project,
                                                   lazy="selectin")

    @property
    def project_ids(self) -> set[int]:
        return {p.id for p in self.projects}

    def active_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on

    def covers(self, project_id: int) -> bool:
        return self.all_projects or project_id in self.project_ids

    @property
    def status(self) -> str:
        """revoked | expired | upcoming | active (today, UTC)."""
        today = utcnow().date()
        if self.revoked_at is not None:
            return "revoked"
        if self.ends_on < today:
            return "expired"
        if self.starts_on > today:
            return "upcoming"
        return "active"
