"""Co-creation projects and what they are made of: themes, partners, budget, activities,
indicators. The workflow state lives on the project row; its history, sign-offs and documents
belong to the workflow and documents modules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.i18n import localized
from tadafur.models_base import TimestampMixin, TrilingualName, UTCDateTime, utcnow
from tadafur.organisations.models import Association, Commune

MONEY = Numeric(14, 2)


class Funder(StrEnum):
    COMMUNE = "commune"
    ASSOCIATION = "association"
    PROGRAMME = "programme"  # the programme grant
    OTHER = "other"


PUBLIC_FUNDERS = frozenset({Funder.COMMUNE, Funder.PROGRAMME})


class Theme(TrilingualName, db.Model):
    """Youth participation, women's participation, dialogue spaces...: editable by admins."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


project_theme = Table(
    "project_theme",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id"), primary_key=True),
)

project_partner = Table(
    "project_partner",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("association_id", ForeignKey("association.id"), primary_key=True),
)


class Project(TimestampMixin, db.Model):
    """A co-creation project of one commune and one lead association (plus partners).

    `version` is the optimistic-lock counter: every save and every transition increments it,
    and a save based on an older version is refused as a conflict. `content_version` counts
    edits of the proposal's content only; sign-offs bind to the hash of a content version.
    """

    __tablename__ = "project"
    __table_args__ = (
        Index("ix_project_state_id", "state", "id"),
        Index("ix_project_commune_state", "commune_id", "state"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    title_ar: Mapped[str] = mapped_column(String(300), default="")
    title_fr: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    target_groups: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    # active_history: the counts per state (tadafur.workflow.counts) need the old value
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True,
                                            active_history=True)
    lead_association_id: Mapped[int] = mapped_column(ForeignKey("association.id"), index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    beneficiaries_women: Mapped[int] = mapped_column(Integer, default=0)
    beneficiaries_men: Mapped[int] = mapped_column(Integer, default=0)
    beneficiaries_youth: Mapped[int] = mapped_column(Integer, default=0)  # aged 15-34, any sex
    publication_approved: Mapped[bool] = mapped_column(Boolean, default=False)

    workflow_name: Mapped[str] = mapped_column(String(60))
    workflow_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(60), index=True, active_history=True)
    state_entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    commune: Mapped[Commune] = relationship()
    lead_association: Mapped[Association] = relationship()
    partners: Mapped[list[Association]] = relationship(secondary=project_partner)
    themes: Mapped[list[Theme]] = relationship(secondary=project_theme)
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="BudgetLine.position")
    activities: Mapped[list[Activity]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Activity.position")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Indicator.position")

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def association_ids(self) -> set[int]:
        return {self.lead_association_id, *(a.id for a in self.partners)}

    def total(self, *funders: Funder) -> Decimal:
        """The budget total, or the part of the given funders."""
        wanted = {f.value for f in funders}
        return sum((line.amount for line in self.budget_lines
                    if not wanted or line.funder in wanted), Decimal("0"))

    @property
    def public_contribution(self) -> Decimal:
        """What the commune and the programme grant put in (the guard's threshold applies)."""
        return self.total(*PUBLIC_FUNDERS)


class BudgetLine(db.Model):
    __tablename__ = "budget_line"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    funder: Mapped[str] = mapped_column(String(20))
    in_kind: Mapped[bool] = mapped_column(Boolean, default=False)

    project: Mapped[Project] = relationship(back_populates="budget_lines")


class Activity(db.Model):
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned|done|closed
    closing_reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="activities")


class Indicator(db.Model):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(10))  # output | outcome
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60))
    baseline: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    disaggregated: Mapped[bool] = mapped_column(Boolean, default=True)  # by sex and age
    # Counts people reached (beneficiaries): the oversight dashboards add up its values.
    counts_people: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    project: Mapped[Project] = relationship(back_populates="indicators")


class Message(db.Model):
    """A message in a project's discussion thread (the programme's "dialogue space").

    Plain text: templates escape it; it is never rendered as HTML.
    """

    __tablename__ = "project_message"
    __table_args__ = (Index("ix_project_message_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    project: Mapped[Project] = relationship()
    author: Mapped[User] = relationship()
