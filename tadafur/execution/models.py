"""What happens once a project is in execution: the funders' disbursement tranches, the
expenses recorded against budget lines, the progress of each activity, the indicator values
measured per period (disaggregated by sex and age group) and the evidence files attached.

Rows are written only through `tadafur.execution.services` (every change audited).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import MONEY, Activity, BudgetLine, Indicator, Project

VALUE = Numeric(14, 2)


class Tranche(db.Model):
    """A disbursement of one funder: planned for a date, paid (or not yet) on another.

    `justification` is required when the paid total of the funder would exceed what the
    budget lines put on that funder.
    """

    __tablename__ = "tranche"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_tranche_project_funder", "project_id", "funder"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    funder: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    planned_on: Mapped[dt.date] = mapped_column(Date)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    justification: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    nullable=False)

    project: Mapped[Project] = relationship()

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


class Expense(db.Model):
    """Money spent on one budget line (cash or the value of an in-kind contribution)."""

    __tablename__ = "expense"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_line.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    spent_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    nullable=False)

    budget_line: Mapped[BudgetLine] = relationship()


class ActivityProgress(db.Model):
    """One progress report on an activity: how far it is (percent) and a note. The newest
    row is the activity's current progress; older rows are its history."""

    __tablename__ = "activity_progress"
    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_in_range"),
        Index("ix_activity_progress_activity_id_id", "activity_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    reported_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    nullable=False)

    activity: Mapped[Activity] = relationship()


class IndicatorValue(db.Model):
    """The value of an indicator measured over one period.

    Disaggregated indicators carry four cells (women/men x youth 15-34/adult) and `total`
    is their sum; the others carry `total` only. One row per indicator and period end:
    recording the same period again corrects it.
    """

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period_end"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    women_youth: Mapped[Decimal | None] = mapped_column(VALUE)
    women_adult: Mapped[Decimal | None] = mapped_column(VALUE)
    men_youth: Mapped[Decimal | None] = mapped_column(VALUE)
    men_adult: Mapped[Decimal | None] = mapped_column(VALUE)
    total: Mapped[Decimal] = mapped_column(VALUE)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    nullable=False)

    indicator: Mapped[Indicator] = relationship()


class Attachment(db.Model):
    """An evidence file (photo, PDF) of a project, optionally of one of its activities.

    The bytes live outside the static files under `stored_name` (random, never derived from
    what the user sent); `display_name` is the sanitised original base name, shown and used
    as the download's file name; `content_type` comes from the file's content (its magic
    bytes), never from its name or the browser's claim.
    """

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    nullable=False)

    project: Mapped[Project] = relationship()
    activity: Mapped[Activity | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
