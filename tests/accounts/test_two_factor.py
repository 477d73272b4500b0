"""The second factor (TOTP): enrolment, the login's second step, its throttle, recovery codes,
the administrator's reset, and the requirement for the roles that sign or administer."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from tadafur.accounts import two_factor
from tadafur.accounts.models import LoginAttempt
from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tests.factories import PASSWORD, login


def next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted: one step of drift either way); the
    current one was used at enrolment, and a code is accepted only once."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def enrol(client, user) -> tuple[str, list[str]]:
    """Enrol through the page, as a person with an authenticator app would."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", response.get_data(as_text=True))
    return secret, codes


@pytest.fixture
def enrolled(client, president):
    login(client, president)
    secret, codes = enrol(client, president)
    client.post("/logout")
    return secret, codes


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes_and_is_audited(client, agent):
    login(client, agent)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    _secret, codes = enrol(client, agent)
    assert len(codes) == 10
    assert "user.two_factor_enrolled" in _actions()
    assert client.get("/account/password").status_code == 200  # this session goes on


def test_wrong_enrolment_code_is_refused_beside_the_field(client, agent):
    login(client, agent)
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "000000"})
    assert response.status_code == 422
    assert "not the one your app shows" in response.get_data(as_text=True)
    db.session.refresh(agent)
    assert not agent.has_two_factor


def test_login_asks_the_code_after_the_password(client, president, enrolled):
    secret, _codes = enrolled
    response = client.post("/login", data={"email": president.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/account/password").status_code in (302, 401)  # not logged in yet
    response = client.post("/login/code", data={"code": next_code(secret)})
    assert response.status_code in (302, 303)
    assert client.get("/account/password").status_code == 200


def test_a_code_works_once(client, president, enrolled):
    secret, _codes = enrolled
    code = next_code(secret)
    client.post("/login", data={"email": president.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": code}).status_code in (302, 303)
    client.post("/logout")
    client.post("/login", data={"email": president.email, "password": PASSWORD})
    replayed = client.post("/login/code", data={"code": code})
    assert replayed.status_code == 422
    assert "already used" in replayed.get_data(as_text=True)


def test_wrong_codes_count_in_the_login_throttle_and_lock_the_account(app, client, president,
                                                                      enrolled):
    secret, _codes = enrolled
    client.post("/login", data={"email": president.email, "password": PASSWORD})
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        response = client.post("/login/code", data={"code": "123456"})
        assert response.status_code == 422
        assert "The code is not correct" in response.get_data(as_text=True)
    response = client.post("/login/code", data={"code": "654321"})
    assert "locked" in response.get_data(as_text=True)
    failures = db.session.scalars(select(LoginAttempt).where(
        LoginAttempt.email == president.email, LoginAttempt.succeeded.is_(False))).all()
    assert len(failures) == app.config["LOGIN_MAX_FAILURES"]
    # Even the right code (and the right password) is refused while locked.
    response = client.post("/login/code", data={"code": next_code(secret)})
    assert "locked" in response.get_data(as_text=True)
    assert client.get("/account/password").status_code in (302, 401)


def test_a_recovery_code_replaces_the_app_once(client, president, enrolled):
    _secret, codes = enrolled
    client.post("/login", data={"email": president.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": codes[0].upper()}).status_code in (302, 303)
    client.post("/logout")
    client.post("/login", data={"email": president.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 422
    assert "user.recovery_code_used" in _actions()


def test_an_administrator_resets_a_lost_factor_and_it_is_audited(client, admin, president,
                                                                  enrolled):
    login(client, admin)
    page = client.get(f"/admin/users/{president.id}").get_data(as_text=True)
    assert "reset-two-factor" in page
    response = client.post(f"/admin/users/{president.id}/two-factor/reset")
    assert response.status_code == 303
    db.session.refresh(president)
    assert not president.has_two_factor
    assert "user.two_factor_reset" in _actions()


def test_required_roles_must_enrol_before_anything_else(app, client, officer, agent):
    app.config["TWO_FACTOR_REQUIRED"] = True
    try:
        login(client, officer)
        response = client.get("/dashboards")
        assert response.headers["Location"].endswith("/account/two-factor")
        other = app.test_client()
        login(other, agent)  # an agent neither signs nor administers: optional
        assert other.get("/projects").status_code == 200
    finally:
        app.config["TWO_FACTOR_REQUIRED"] = False


def test_signing_without_enrolment_is_refused_when_required(app, president):
    from tadafur.accounts.services import AccountError

    app.config["TWO_FACTOR_REQUIRED"] = True
    try:
        with pytest.raises(AccountError, match="Set up your second factor"):
            two_factor.check_for_signing(president, None, "127.0.0.1")
    finally:
        app.config["TWO_FACTOR_REQUIRED"] = False
