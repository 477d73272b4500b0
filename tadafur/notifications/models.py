"""In-app notifications, put into words in the reader's language when they are read.

`phrase` keeps the sentence as its catalog source and parameters (tadafur.vocabulary.Phrase);
`message` keeps the words sent by e-mail (the recipient's saved language at the time), shown
only for rows older than `phrase`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.vocabulary import Phrase

KINDS = ("awaiting_signoff", "changes_requested", "approved", "rejected", "mentioned",
         "overdue", "sign_again", "escalated", "amendment", "amendment_overdue",
         "amendment_escalated", "delegation", "report_submitted", "report_returned",
         "report_validated", "final_report_validated", "scoring_opened", "project_closed",
         "amendment_decided", "delegation_expiring")


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_project_kind", "project_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    phrase: Mapped[str | None] = mapped_column(Text)  # JSON of a vocabulary.Phrase

    @property
    def text(self) -> str:
        """The sentence in the reader's language (the stored words for older rows)."""
        if self.phrase:
            try:
                return Phrase.from_json(self.phrase).render()
            except (ValueError, KeyError, TypeError):
                return self.message
        return self.message
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
