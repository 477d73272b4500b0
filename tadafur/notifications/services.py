"""notify(): one row per recipient; e-mails are sent after the commit, in the recipient's
saved language. The in-app row keeps the sentence as a vocabulary.Phrase, put into words
when read, so an inbox speaks the reader's language of today.

E-mails go to .eml files under instance/outbox/ (config MAIL_OUTBOX) unless MAIL_SERVER is
set, in which case they are sent by SMTP (MAIL_PORT, MAIL_FROM). A rolled-back transaction
sends nothing. With a worker (tadafur.jobs: not in the tests' eager mode) the e-mails of a
transaction become one `mail.send` job committed with it, sent off the request and retried
when the relay fails.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
import weakref
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from tadafur.extensions import db
from tadafur.jobs import services as jobs
from tadafur.jobs.registry import JobFailure
from tadafur.models_base import utcnow
from tadafur.notifications.models import KINDS, Notification
from tadafur.vocabulary import Phrase

log = logging.getLogger(__name__)
_PENDING = "tadafur.pending_mail"
_MARKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # queue length at each begin


def notify(users: Iterable[Any], kind: str, project: Any,
           message_factory: Phrase | Callable[[str], str], link: str | None = None) -> None:
    """Tell each user (once, whatever duplicates `users` holds), in their own language.

    Give a Phrase (vocabulary.phrase): the row keeps it and says it in the reader's language.
    A callable (language -> words) is still accepted and stored as words.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "ar")
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        language = user.locale or default
        stored = message_factory.to_json() if isinstance(message_factory, Phrase) else None
        with force_locale(language):
            message = (message_factory.render() if isinstance(message_factory, Phrase)
                       else str(message_factory(language)))
        db.session.add(Notification(user_id=user.id, kind=kind,
                                    project_id=getattr(project, "id", None),
                                    message=message, phrase=stored, link=link))
        _queue_mail(user.email, message, link)
    db.session.flush()


def unread_count(user: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user: Any, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user: Any, ids: Iterable[int]) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(list(ids)),
               Notification.read_at.is_(None))
        .values(read_at=utcnow()))


# ---------------------------------------------------------------- mail after commit

def send_mail(address: str, subject: str, body: str) -> None:
    """An e-mail with no in-app notification (password reset, invitation), sent after the
    commit like the others (a rolled-back transaction sends nothing)."""
    db.session().info.setdefault(_PENDING, []).append((address, subject[:120], body))


def _queue_mail(address: str, message: str, link: str | None) -> None:
    body = message if not link else f"{message}\n\n{link}"
    db.session().info.setdefault(_PENDING, []).append((address, message[:120], body))


def _outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def _send(mails: list[tuple[str, str, str]]) -> None:
    config = current_app.config
    sender = config.get("MAIL_FROM") or "tadafur@localhost"
    messages = []
    for address, subject, body in mails:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = sender, address, subject
        email.set_content(body)
        messages.append(email)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                          timeout=10) as smtp:
            for email in messages:
                smtp.send_message(email)
        return
    if current_app.testing and not config.get("MAIL_OUTBOX"):  # tests inspect, never litter
        current_app.extensions.setdefault("tadafur.sent_mail", []).extend(messages)
        return
    folder = _outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for email in messages:
        (folder / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(email))


@event.listens_for(Session, "before_commit")
def _enqueue_pending(session: Session) -> None:
    """The e-mails of this transaction, as one job committed with it (eager mode: sent
    after the commit, below, as before jobs existed)."""
    if (not has_app_context() or session.in_nested_transaction()
            or jobs.mode() == "eager" or not session.info.get(_PENDING)):
        return
    mails = session.info.pop(_PENDING)
    jobs.enqueue("mail.send", messages=[list(mail) for mail in mails])


def send_job(job: Any) -> None:
    """The `mail.send` job: a failing relay fails the job (retried, then shown)."""
    try:
        _send([tuple(mail) for mail in job.params["messages"]])
    except (OSError, smtplib.SMTPException) as error:
        raise JobFailure("mail_failed", error=type(error).__name__) from error


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy calls after_commit for those too)
    mails = session.info.pop(_PENDING, None)
    if not mails or not has_app_context():
        return
    try:
        _send(mails)
    except OSError as error:  # the commit stands; the in-app notification is there
        log.warning("could not send %d e-mails: %s", len(mails), error)


@event.listens_for(Session, "after_transaction_create")
def _mark_pending(session: Session, transaction) -> None:
    _MARKS[transaction] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    """A rolled-back transaction or savepoint takes back the e-mails queued inside it."""
    mark = _MARKS.get(previous_transaction, 0)
    pending = session.info.get(_PENDING)
    if pending:
        del pending[mark:]
