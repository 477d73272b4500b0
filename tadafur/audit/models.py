"""The append-only audit trail and the head of its hash chain."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tadafur.extensions import db
from tadafur.models_base import UTCDateTime


class AuditEvent(db.Model):
    """One thing that happened. Never updated, never deleted (database triggers refuse it).

    `hash` is SHA-256 over the canonical form of the event, which includes `prev_hash`,
    so changing, removing or reordering any event breaks every hash after it.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_project_seq", "project_id", "seq"),
        Index("ix_audit_event_commune_seq", "commune_id", "seq"),
        Index("ix_audit_event_actor_seq", "actor_id", "seq"),
        Index("ix_audit_event_actor_name_seq", "actor_name", "seq"),
        Index("ix_audit_event_action_seq", "action", "seq"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(254))
    actor_role: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[int | None] = mapped_column(Integer)
    commune_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    after: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(db.Model):
    """A single row holding the last sequence number and hash.

    Writers lock it (SELECT ... FOR UPDATE) before appending, so two transactions can never
    both extend the same event: the chain cannot fork. The unique prev_hash is the backstop.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditVerification(db.Model):
    """One run of the chain verification: its progress while running, its outcome after.

    Kept in the database so every app server shows the same progress and the integrity
    panel can say "verified intact up to event N at time T".
    """

    __tablename__ = "audit_verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str | None] = mapped_column(String(254))
    total: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    checked: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    intact: Mapped[bool | None] = mapped_column()
    up_to_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    up_to_hash: Mapped[str | None] = mapped_column(String(64))
    broken_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.checked * 100 / self.total))


class AuditCheckpoint(db.Model):
    """A chain head exported for safekeeping outside the system.

    Later verifications check that the chain still passes through every exported head: a
    rewritten history (even with every hash recomputed) cannot match a head kept elsewhere.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    exported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    exported_by: Mapped[str | None] = mapped_column(String(254))
    statement: Mapped[str] = mapped_column(Text)  # the signed statement as handed out
