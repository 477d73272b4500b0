"""Users, their memberships in organisations, and login attempts (for throttling)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.extensions import db
from tadafur.models_base import TimestampMixin, UTCDateTime, utcnow
from tadafur.organisations.models import Association, Commune, Institution


class Role(StrEnum):
    COMMUNE_AGENT = "commune_agent"
    COMMUNE_SIGNATORY = "commune_signatory"
    ASSOCIATION_MEMBER = "association_member"
    ASSOCIATION_SIGNATORY = "association_signatory"
    PROGRAMME_OFFICER = "programme_officer"
    MINISTRY_REVIEWER = "ministry_reviewer"
    ADMIN = "admin"


COMMUNE_ROLES = frozenset({Role.COMMUNE_AGENT, Role.COMMUNE_SIGNATORY})
ASSOCIATION_ROLES = frozenset({Role.ASSOCIATION_MEMBER, Role.ASSOCIATION_SIGNATORY})
INSTITUTION_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.MINISTRY_REVIEWER, Role.ADMIN})


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    # "f" or "m": how documents address the person ("la Présidente", "رئيسة المجلس"); unset,
    # the masculine form that French and Arabic administrative texts use by default.
    civility: Mapped[str | None] = mapped_column(String(1))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(m.role) for m in self.memberships)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def commune_ids(self) -> frozenset[int]:
        return frozenset(m.commune_id for m in self.memberships if m.commune_id)

    @property
    def association_ids(self) -> frozenset[int]:
        return frozenset(m.association_id for m in self.memberships if m.association_id)

    @property
    def role_label(self) -> str:
        """The roles as one stable string, for audit records."""
        return ",".join(sorted(self.roles))


class Membership(db.Model):
    """A user's role in one organisation: exactly one of commune, association, institution."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN commune_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN association_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN institution_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_organisation",
        ),
        UniqueConstraint("user_id", "role", "commune_id", "association_id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))

    user: Mapped[User] = relationship(back_populates="memberships")
    commune: Mapped[Commune | None] = relationship(lazy="joined")
    association: Mapped[Association | None] = relationship(lazy="joined")
    institution: Mapped[Institution | None] = relationship(lazy="joined")

    @property
    def organisation(self) -> Commune | Association | Institution | None:
        return self.commune or self.association or self.institution


class LoginAttempt(db.Model):
    """Every login attempt; failures within a window lock the account and the address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


auditor_grant_commune = Table(
    "auditor_grant_commune",
    db.metadata,
    Column("grant_id", ForeignKey("auditor_grant.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", ForeignKey("commune.id"), primary_key=True),
)

auditor_grant_project = Table(
    "auditor_grant_project",
    db.metadata,
    Column("grant_id", ForeignKey("auditor_grant.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
)


class AuditorGrant(db.Model):
    """Read-only access of an outside auditor to chosen communes or projects, for a period.

    It needs no membership: the grant itself is the access, and it ends by itself at
    `expires_at` (or earlier when revoked). Every request made under it is audited.
    """

    __tablename__ = "auditor_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    communes: Mapped[list[Commune]] = relationship(secondary=auditor_grant_commune)

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and self.starts_at <= now < self.expires_at
