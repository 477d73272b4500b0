"""Rate limits kept in the database, so that they hold across every app server.

`allow(kind, key, limit, window)` counts the recent events of one kind for one key (an
e-mail address, a client address) and records this one when it is allowed. Login failures
keep their own table (LoginAttempt, in services.py); this serves the rest: password-reset
requests, /verify uploads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from tadafur.accounts.models import RateEvent
from tadafur.extensions import db
from tadafur.models_base import utcnow


def recent(kind: str, key: str, window_seconds: int) -> int:
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    return db.session.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.kind == kind, RateEvent.key == key[:254], RateEvent.at > since)) or 0


def allow(kind: str, key: str, limit: int, window_seconds: int) -> bool:
    """True (and the event is counted) while `key` made fewer than `limit` such requests in
    the window; False once it reached the limit (the refused request is not counted, so a
    client that waits gets through again)."""
    if recent(kind, key, window_seconds) >= limit:
        return False
    db.session.add(RateEvent(kind=kind, key=key[:254]))
    db.session.flush()
    return True


def forget_older_than(days: int = 2) -> int:
    """Drop events no window looks at any more (run by `flask reminders`-like cron jobs)."""
    result = db.session.execute(delete(RateEvent).where(
        RateEvent.at < utcnow() - dt.timedelta(days=days)))
    return result.rowcount or 0
