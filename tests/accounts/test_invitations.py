"""Administrators create accounts; owners set their password through a signed, expiring link."""

from __future__ import annotations

import re

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.accounts.services import INVITATION_SALT, invitation_token
from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tests.factories import login


def _create(client, commune, email="new.agent@example.org"):
    return client.post("/admin/users/new", data={
        "email": email, "full_name": "New Agent", "locale": "fr",
        "memberships-0-role": "commune_agent",
        "memberships-0-organisation": f"commune:{commune.id}",
    })


def test_admin_creates_an_account_and_gets_an_invitation_link(client, admin, commune):
    login(client, admin)
    response = _create(client, commune)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/invitation/" in page
    user = db.session.scalar(select(User).where(User.email == "new.agent@example.org"))
    assert user.password_hash is None
    assert [m.role for m in user.memberships] == ["commune_agent"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                      AuditEvent.object_id == str(user.id)))


def test_invitation_sets_password_once(app, client, admin, commune):
    login(client, admin)
    _create(client, commune)
    client.post("/logout")
    user = db.session.scalar(select(User).where(User.email == "new.agent@example.org"))
    with app.test_request_context():
        token = invitation_token(user)
    data = {"password": "a long new password", "confirmation": "a long new password"}
    assert client.post(f"/invitation/{token}", data=data).status_code == 303
    assert client.get("/").status_code == 200
    client.post("/logout")
    again = client.get(f"/invitation/{token}")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_expired_and_forged_invitations_are_refused(app, client, agent):
    with app.test_request_context():
        forged = URLSafeTimedSerializer("another key", salt=INVITATION_SALT).dumps(
            {"user": agent.id, "state": "x"})
    response = client.get(f"/invitation/{forged}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    app.config["INVITATION_MAX_AGE_SECONDS"] = -1
    try:
        with app.test_request_context():
            token = invitation_token(agent)
        response = client.get(f"/invitation/{token}")
        assert "expired" in response.get_data(as_text=True)
    finally:
        app.config["INVITATION_MAX_AGE_SECONDS"] = 7 * 24 * 3600


def test_short_or_mismatched_passwords_are_refused_beside_the_field(app, client, agent):
    with app.test_request_context():
        token = invitation_token(agent)
    response = client.post(f"/invitation/{token}", data={"password": "short",
                                                         "confirmation": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="password-error"[^>]*>[^<]*at least 10', html)
    response = client.post(f"/invitation/{token}", data={"password": "long enough pw",
                                                         "confirmation": "different pw!"})
    assert response.status_code == 422
    assert 'id="confirmation-error"' in response.get_data(as_text=True)


def test_role_must_match_organisation_kind(client, admin, association):
    login(client, admin)
    response = client.post("/admin/users/new", data={
        "email": "x@example.org", "full_name": "X",
        "memberships-0-role": "commune_agent",
        "memberships-0-organisation": f"association:{association.id}"})
    assert response.status_code == 422
    assert "right kind" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_duplicate_email_is_refused(client, admin, agent, commune):
    login(client, admin)
    response = _create(client, commune, email=agent.email)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_admin_changes_roles_and_the_change_is_audited(client, admin, agent, association):
    login(client, admin)
    response = client.post(f"/admin/users/{agent.id}", data={
        "full_name": "Renamed Agent", "active": "y",
        "memberships-0-role": "association_member",
        "memberships-0-organisation": f"association:{association.id}"})
    assert response.status_code == 303
    db.session.expire_all()
    assert [m.role for m in agent.memberships] == ["association_member"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")
                               .order_by(AuditEvent.seq.desc())).first()
    assert "commune_agent" in event.before and "association_member" in event.after


def test_deactivated_user_cannot_log_in(client, admin, agent):
    agent.active = False
    db.session.commit()
    response = client.post("/login", data={"email": agent.email,
                                           "password": "correct horse battery"})
    assert response.status_code == 422


def test_password_change_needs_the_current_password(client, agent):
    login(client, agent)
    response = client.post("/account/password", data={
        "current": "wrong", "password": "another long pw", "confirmation": "another long pw"})
    assert response.status_code == 422
    assert 'id="current-error"' in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current": "correct horse battery", "password": "another long pw",
        "confirmation": "another long pw"})
    assert response.status_code == 303
    client.post("/logout")
    login(client, agent, password="another long pw")


def test_only_admins_manage_users(client, officer, reviewer):
    for user in (officer, reviewer):
        login(client, user)
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users/new", data={}).status_code == 403
        client.post("/logout")
