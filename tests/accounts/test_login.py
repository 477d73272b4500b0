"""Logging in and out, throttling, and the audit of every attempt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.accounts.models import LoginAttempt
from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tests.factories import PASSWORD, login


def _actions(email: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_name == email).order_by(AuditEvent.seq)))


def test_good_password_logs_in_and_is_audited(client, agent):
    response = client.post("/login", data={"email": agent.email.upper() + "  ",
                                           "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "user.login" in _actions(agent.email)


def test_wrong_password_is_refused_with_a_message_and_audited(client, agent):
    response = client.post("/login", data={"email": agent.email, "password": "wrong"})
    assert response.status_code == 422
    assert "not correct" in response.get_data(as_text=True)
    assert _actions(agent.email)[-1] == "user.login_failed"


def test_unknown_account_gets_the_same_message(client):
    response = client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 422
    assert "not correct" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(client, agent):
    for _ in range(5):
        client.post("/login", data={"email": agent.email, "password": "wrong"})
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "locked" in response.get_data(as_text=True)
    assert _actions(agent.email)[-1] == "user.login_refused_locked"


def test_lock_expires_after_the_lock_period(app, client, agent):
    for _ in range(5):
        client.post("/login", data={"email": agent.email, "password": "wrong"})
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(
        seconds=app.config["LOGIN_LOCK_SECONDS"] + 60)
    for attempt in db.session.scalars(select(LoginAttempt).where(
            LoginAttempt.email == agent.email)):
        attempt.at = old
    db.session.commit()
    login(client, agent)


def test_many_failures_from_one_address_lock_that_address(app, client, agent):
    for n in range(app.config["LOGIN_MAX_ADDRESS_FAILURES"]):
        client.post("/login", data={"email": f"guess{n}@example.org", "password": "x"})
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "locked" in response.get_data(as_text=True)


def test_logout_needs_post_and_ends_the_session(client, agent):
    login(client, agent)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_pages_redirect_anonymous_users_to_login(client):
    response = client.get("/communes")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_htmx_requests_of_anonymous_users_get_hx_redirect(client):
    response = client.get("/communes", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_login_never_redirects_to_another_site(client, agent):
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": agent.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_a_current_algorithm(app, agent):
    from tadafur.accounts.services import hash_password

    with app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"] = None
        try:
            assert hash_password("a password of mine").startswith("scrypt:")
        finally:
            app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
