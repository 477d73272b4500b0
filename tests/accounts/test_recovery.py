"""The first administrator from the command line; a forgotten password reset by e-mail."""

from __future__ import annotations

import re

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from tadafur.accounts.models import Role, User
from tadafur.accounts.services import check_password
from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tests.factories import PASSWORD, login

NEW_PASSWORD = "a quiet walk by the sea"


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def outbox(app):
    sent = app.extensions.setdefault("tadafur.sent_mail", [])
    sent.clear()
    return sent


def _link(mail) -> str:
    return re.search(r"http://tadafur\.test(/password/reset/\S+)", mail.get_content()).group(1)


# ---------------------------------------------------------------- create-admin

def test_create_admin_asks_the_password_twice_and_the_admin_logs_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "First.Admin@Example.org", "--name", "Nadia"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "first.admin@example.org"))
    assert user.roles == {Role.ADMIN} and check_password(user, NEW_PASSWORD)
    assert [e.object_id for e in _events("user.admin_created_from_command")] == [str(user.id)]
    login(client, user, NEW_PASSWORD)
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("weak", ["short", "azertyuiop", "aaaaaaaaaaaa", "chef.admin-2026"])
def test_create_admin_refuses_weak_passwords_and_creates_nothing(app, weak):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "chef.admin@example.org", "--password"],
        input=f"{weak}\n{weak}\n")
    assert result.exit_code == 1
    assert "error:" in result.output
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email == "chef.admin@example.org")) == 0


def test_create_admin_sends_an_invitation_when_mail_is_set_up(app, outbox):
    app.config.update(MAIL_SERVER="smtp.invalid", PUBLIC_BASE_URL="https://tadafur.example.ma")
    sent = []
    try:
        from tadafur.notifications import services as mail

        original = mail._send
        mail._send = sent.extend
        result = app.test_cli_runner().invoke(args=["users", "create-admin",
                                                    "invited@example.org"])
    finally:
        mail._send = original
        app.config.update(MAIL_SERVER=None, PUBLIC_BASE_URL=None)
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    [(address, _subject, body)] = sent
    assert address == "invited@example.org"
    assert "https://tadafur.example.ma/invitation/" in body


# ---------------------------------------------------------------- password reset

def test_reset_link_works_once_and_ends_the_other_sessions(app, client, agent, outbox):
    other_browser = app.test_client()
    login(other_browser, agent)
    assert other_browser.get("/account/password").status_code == 200

    response = client.post("/password/forgot", data={"email": agent.email.upper()})
    assert response.status_code == 200
    [mail] = outbox
    assert mail["To"] == agent.email
    link = _link(mail)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert response.status_code in (302, 303)
    db.session.refresh(agent)
    assert check_password(agent, NEW_PASSWORD)
    assert other_browser.get("/account/password").status_code in (302, 401)  # logged out
    assert client.post(link, data={"password": "another long secret", "confirmation":
                                   "another long secret"}).status_code == 400  # used
    assert len(_events("user.password_reset_requested")) == 1
    assert len(_events("user.password_reset")) == 1
    login(client, agent, NEW_PASSWORD)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, agent, outbox):
    known = client.post("/password/forgot", data={"email": agent.email})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    # Only the CSRF tokens (signed, timestamped) and nonces differ between two pages.
    strip = re.compile(r'[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}|nonce="[^"]*"')
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True))
    assert [m["To"] for m in outbox] == [agent.email]
    [event] = [e for e in _events("user.password_reset_requested")
               if e.actor_name == "nobody@example.org"]
    assert '"link_sent":false' in event.after.replace(" ", "")


def test_reset_link_expires_after_30_minutes(client, agent, outbox, monkeypatch):
    start = 1_800_000_000
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: start)
    client.post("/password/forgot", data={"email": agent.email})
    link = _link(outbox[0])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: start + 29 * 60)
    assert client.get(link).status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: start + 31 * 60)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_reset_requests_are_throttled_per_address_and_per_client(app, client, agent, outbox):
    limit = app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    for _ in range(limit):
        assert client.post("/password/forgot", data={"email": agent.email}).status_code == 200
    refused = client.post("/password/forgot", data={"email": agent.email})
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    assert len(outbox) == limit
    for n in range(app.config["PASSWORD_RESET_MAX_PER_CLIENT"] - limit):
        client.post("/password/forgot", data={"email": f"someone{n}@example.org"})
    assert client.post("/password/forgot",
                       data={"email": "fresh@example.org"}).status_code == 429
    assert _events("user.password_reset_throttled")


def test_reset_refuses_a_weak_password_beside_the_field(client, agent, outbox):
    client.post("/password/forgot", data={"email": agent.email})
    response = client.post(_link(outbox[0]), data={"password": "1234567890",
                                                   "confirmation": "1234567890"})
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)
    db.session.refresh(agent)
    assert check_password(agent, PASSWORD)


def test_reset_link_in_french_and_arabic_mail(client, agent, outbox):
    agent.locale = "fr"
    db.session.flush()
    client.post("/password/forgot", data={"email": agent.email})
    agent.locale = "ar"
    db.session.flush()
    client.post("/password/forgot", data={"email": agent.email})
    french, arabic = (m.get_content() for m in outbox)
    assert "30 minutes" in french and "mot de passe" in french
    assert "كلمة" in arabic


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(app, client, agent):
    other_browser = app.test_client()
    login(other_browser, agent)
    login(client, agent)
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert response.status_code in (302, 303)
    assert client.get("/account/password").status_code == 200
    assert other_browser.get("/account/password").status_code in (302, 401)


def test_old_rate_events_are_pruned_by_the_command(app):
    import datetime as dt

    from tadafur.accounts.models import RateEvent
    from tadafur.models_base import utcnow

    db.session.add_all([RateEvent(kind="verify", key="192.0.2.1",
                                  at=utcnow() - dt.timedelta(days=3)),
                        RateEvent(kind="verify", key="192.0.2.1", at=utcnow())])
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["users", "prune-rate-events"])
    assert result.exit_code == 0 and "1 rate event(s) removed" in result.output
    assert db.session.scalar(select(func.count()).select_from(RateEvent)) == 1
