"""What the workflow remembers: the transition history and the sign-offs of each gate.

The current state itself lives on the project row (`Project.state`); the history replays to it.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow


class TransitionRecord(db.Model):
    """One move of a project from a state to another, in order (`seq` 1 is the start)."""

    __tablename__ = "workflow_transition"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(60))
    to_state: Mapped[str] = mapped_column(String(60))
    workflow_version: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    data_json: Mapped[str | None] = mapped_column(Text)  # canonical JSON of the recorded fields
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def data(self) -> dict:
        return json.loads(self.data_json) if self.data_json else {}


class SignOff(db.Model):
    """One party's decision on one gate, bound to the hash of exactly what was signed.

    `round` is the `seq` of the transition that entered the gate's state: sign-offs given
    before the project left and came back do not count again. `valid` turns false when the
    signed content changes before the gate completes (the party must sign again).
    """

    __tablename__ = "workflow_signoff"
    __table_args__ = (
        Index("ix_workflow_signoff_project_gate", "project_id", "gate", "round"),
        # Backstop for the row lock: one valid approval per party and round.
        Index("uq_workflow_signoff_one_approval", "project_id", "gate", "round", "party",
              unique=True,
              postgresql_where=text("valid AND decision = 'approve'"),
              sqlite_where=text("valid AND decision = 'approve'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    gate: Mapped[str] = mapped_column(String(60))
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(20))  # commune | association | programme
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    comment: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(String(60))  # content | transition | document:<kind>
    signed_hash: Mapped[str] = mapped_column(String(64))
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    invalidated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    invalidated_reason: Mapped[str | None] = mapped_column(String(200))
    # Signed by a delegate: the mandate and the person the delegate signed for.
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegation.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The signer typed a code of their authenticator app (or a recovery code) with the password.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    on_behalf_of: Mapped[User | None] = relationship(lazy="joined",
                                                     foreign_keys=[on_behalf_of_id])


# The sort key of an awaited action without a due date: after every dated one, and not NULL
# so that one ascending index serves the ORDER BY on PostgreSQL and SQLite alike (they place
# NULLs at opposite ends).
UNDATED = dt.datetime(9999, 12, 31)  # naive UTC, as UTCDateTime hands back


class AwaitedAction(db.Model):
    """What a project awaits from whoever holds `role` for `party` in organisation
    `organisation_id` (the commune, one of its associations; 0 for the programme): the
    triggers of its sign-off and primary next steps, space-separated, and when it is due.

    Derived data, kept in step with the project in the transaction that changes it
    (tadafur.workflow.awaiting), so that "My tasks" is one indexed query for any scope
    instead of evaluating the rules over every project of the programme. Users and
    delegations are not in it: they are matched when the tasks are read.
    """

    __tablename__ = "awaited_action"
    __table_args__ = (
        UniqueConstraint("project_id", "party", "organisation_id", "role"),
        Index("ix_awaited_action_holder", "party", "organisation_id", "role", "sort_at",
              "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    triggers: Mapped[str] = mapped_column(String(400))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sort_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StateCount(db.Model):
    """How many projects of a commune are in each state: kept by deltas in the transaction
    that creates, moves or deletes a project (tadafur.workflow.counts), so that the home
    page's counts for the programme-wide roles read 60 communes' rows, not every project."""

    __tablename__ = "project_state_count"
    __table_args__ = (UniqueConstraint("commune_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    state: Mapped[str] = mapped_column(String(60))
    n: Mapped[int] = mapped_column(Integer, default=0)
