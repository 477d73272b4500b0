"""notify(): one row per recipient, in the recipient's language; e-mail only after commit."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select

from tadafur.extensions import db
from tadafur.notifications.models import Notification
from tadafur.notifications.services import inbox, mark_read, notify, unread_count
from tests.workflow.conftest import act, to_state


def test_notify_renders_each_message_in_the_recipients_language(app, project, officer,
                                                                  president):
    officer.locale, president.locale = "fr", "ar"
    seen = []

    def message(language):
        seen.append((language, str(get_locale())))
        return f"message in {language}"

    notify([officer, president, officer], "approved", project, message, link="/x")
    rows = db.session.scalars(select(Notification).where(
        Notification.kind == "approved").order_by(Notification.id)).all()
    assert [(r.user_id, r.message) for r in rows] == [
        (officer.id, "message in fr"), (president.id, "message in ar")]
    assert seen == [("fr", "fr"), ("ar", "ar")]
    assert unread_count(officer) == 1
    mark_read(officer, [rows[0].id])
    assert unread_count(officer) == 0 and inbox(officer)[0].read_at is not None


def test_mail_is_sent_after_commit_only(app, project, officer):
    db.session.commit()  # the project and the officer stay
    sent = app.extensions.setdefault("tadafur.sent_mail", [])
    sent.clear()
    notify([officer], "approved", project, lambda _lang: "kept")
    db.session.rollback()
    assert sent == []
    notify([officer], "approved", project, lambda _lang: "sent")
    assert sent == []
    db.session.commit()
    assert [m["To"] for m in sent] == [officer.email]


def test_signers_are_told_when_their_signature_is_awaited(project, agent, president, chair,
                                                          officer, member):
    to_state(project, "decision", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    act(officer, project, "prepare_convention")
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.project_id == project.id, Notification.kind == "awaiting_signoff",
        Notification.message.contains("convention"))))
    assert told == {president.id, chair.id, officer.id}


def test_no_mail_for_a_fire_that_failed_after_notifying(app, project, agent, president, chair,
                                                         officer, member, monkeypatch):
    import pytest

    import tadafur.workflow.services as module

    to_state(project, "submitted", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    sent = app.extensions.setdefault("tadafur.sent_mail", [])
    sent.clear()
    real = module._notify_parties

    def notify_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("crash after the notification was queued")

    monkeypatch.setattr(module, "_notify_parties", notify_then_fail)
    with pytest.raises(RuntimeError):
        module.fire(officer, project, "request_changes", comment="x")
    db.session.commit()
    assert sent == []
    assert db.session.scalar(select(Notification).where(
        Notification.kind == "changes_requested")) is None


def test_mail_queued_before_a_refused_fire_is_still_sent(app, project, officer):
    import pytest

    from tadafur.workflow import services
    from tadafur.workflow.services import WorkflowError

    db.session.commit()
    sent = app.extensions.setdefault("tadafur.sent_mail", [])
    sent.clear()
    notify([officer], "approved", project, lambda _lang: "earlier in the request")
    with pytest.raises(WorkflowError):
        services.fire(officer, project, "resume", comment="not possible in draft")
    db.session.commit()
    assert [m["Subject"] for m in sent] == ["earlier in the request"]
