"""Small pieces shared by the models of every domain."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, has_app_context
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from tadafur.i18n import localized

_TODAY: ContextVar[dt.date | None] = ContextVar("tadafur_today", default=None)


def _override() -> dt.date | None:
    """The day the platform is told it is: `frozen(day)` (the demo walk), else the `TODAY`
    setting (tests, `TADAFUR_TODAY` for a demo server), else None (the real day)."""
    day = _TODAY.get()
    if day is not None:
        return day
    value = current_app.config.get("TODAY") if has_app_context() else None
    value = value or os.environ.get("TADAFUR_TODAY")
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def utcnow() -> dt.datetime:
    """Naive UTC, microsecond precision: what both SQLite and PostgreSQL store unchanged.
    A settable clock: when the day is overridden (see `_override`), the time of day is kept
    and the date is the overridden one, so every record of a demo or test walk is dated
    consistently."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    day = _override()
    return now if day is None else dt.datetime.combine(day, now.time())


def today() -> dt.date:
    """Today's date by the settable clock (what date rules compare with)."""
    return utcnow().date()


@contextmanager
def frozen(day: dt.date) -> Iterator[None]:
    """Run a block as if it were `day` (the demo walks a project through its real dates)."""
    token = _TODAY.set(day)
    try:
        yield
    finally:
        _TODAY.reset(token)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always handed back naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class TrilingualName:
    """Reference data named in the three interface languages."""

    name_ar: Mapped[str] = mapped_column(String(200), nullable=False)
    name_fr: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)

    @property
    def name(self) -> str:
        return localized(self)
