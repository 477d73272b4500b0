"""Monitoring reports, their validations, the final report and the joint evaluation.

What the parties report is frozen when it is submitted: the indicator table (from the
execution module's recorded values) and, for the final report, the financial statement are
copied as canonical JSON, so the validators sign, and the PDF prints, exactly what was
submitted even if values are corrected later.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from tadafur.projects.models import Project

CRITERIA = ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability")


def _loads(text: str | None) -> list | dict:
    return json.loads(text) if text else []


class MonitoringReport(db.Model):
    """A periodic monitoring report: draft -> submitted -> validated (or returned -> draft).

    `round` counts submissions: validations of an earlier round never count again.
    """

    __tablename__ = "monitoring_report"
    __table_args__ = (
        Index("ix_monitoring_report_project_period", "project_id", "period_start"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text)
    achievements: Mapped[str] = mapped_column(Text)
    difficulties: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|submitted|validated
    round: Mapped[int] = mapped_column(Integer, default=0)
    indicators_json: Mapped[str | None] = mapped_column(Text)  # frozen at submission
    return_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    validated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("registered_document.id"))

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()
    validations: Mapped[list[ReportValidation]] = relationship(
        back_populates="report", order_by="ReportValidation.id", cascade="all, delete-orphan")

    @property
    def indicators(self) -> list[dict]:
        return _loads(self.indicators_json)


class ReportValidation(db.Model):
    """One party's decision on one submission of a monitoring report, bound to its hash."""

    __tablename__ = "monitoring_report_validation"
    __table_args__ = (
        Index("ix_monitoring_report_validation_report_round", "report_id", "round"),
        # Backstop for the row lock: one approval per party and submission.
        Index("uq_monitoring_report_validation_one_approval", "report_id", "round", "party",
              unique=True, postgresql_where=text("decision = 'approve'"),
              sqlite_where=text("decision = 'approve'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_report.id",
                                                      ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approve | return
    comment: Mapped[str | None] = mapped_column(Text)
    signed_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The validator typed the code of their authenticator app with the password.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    report: Mapped[MonitoringReport] = relationship(back_populates="validations")
    user: Mapped[User] = relationship(lazy="joined")


class FinalReport(db.Model):
    """The final report of a project (one), with the joint monitoring committee's minutes."""

    __tablename__ = "final_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            unique=True)
    narrative: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    committee_date: Mapped[dt.date | None] = mapped_column(Date)
    committee_attendees: Mapped[str] = mapped_column(Text, default="")
    committee_decisions: Mapped[str] = mapped_column(Text, default="")
    # Why money stays undisbursed, or spending exceeds what was disbursed (financial closure).
    financial_justification: Mapped[str] = mapped_column(Text, default="", server_default="")
    results_json: Mapped[str | None] = mapped_column(Text)    # frozen when the PDF is made
    financial_json: Mapped[str | None] = mapped_column(Text)  # idem
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()

    @property
    def results(self) -> list[dict]:
        return _loads(self.results_json)

    @property
    def financial(self) -> dict:
        return _loads(self.financial_json) or {}


class Evaluation(db.Model):
    """The participation results of the joint evaluation (one per project)."""

    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("women_participants >= 0 AND youth_participants >= 0",
                        name="participants_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            unique=True)
    women_participants: Mapped[int] = mapped_column(Integer, default=0)
    youth_participants: Mapped[int] = mapped_column(Integer, default=0)
    participation_notes: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationEntry(db.Model):
    """One party's evaluation: six OECD-DAC scores, lessons and recommendations."""

    __tablename__ = "evaluation_entry"
    __table_args__ = (UniqueConstraint("project_id", "party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    party: Mapped[str] = mapped_column(String(20))
    lessons: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    updated_by: Mapped[User | None] = relationship(lazy="joined")
    scores: Mapped[list[EvaluationScore]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EvaluationScore.id",
        lazy="selectin")

    def score_of(self, criterion: str) -> EvaluationScore | None:
        return next((s for s in self.scores if s.criterion == criterion), None)


class EvaluationScore(db.Model):
    __tablename__ = "evaluation_score"
    __table_args__ = (
        UniqueConstraint("entry_id", "criterion"),
        CheckConstraint("score >= 1 AND score <= 4", name="score_in_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("evaluation_entry.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)

    entry: Mapped[EvaluationEntry] = relationship(back_populates="scores")
