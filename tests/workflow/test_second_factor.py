"""Signing with the second factor: the code is asked with the password, a wrong one is
refused beside the field and counted by the login throttle, and the sign-off records it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tadafur.accounts.models import LoginAttempt
from tadafur.extensions import db
from tadafur.workflow import services
from tadafur.workflow.models import SignOff
from tests.accounts.test_two_factor import enrol, next_code
from tests.factories import PASSWORD, login
from tests.workflow.conftest import to_state


@pytest.fixture
def at_convention(project, agent, president, chair, officer, member):
    to_state(project, "convention_signature", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    return project


def _sign(client, project, **extra):
    return client.post(f"/projects/{project.id}/act", data={
        "trigger": "signoff:convention", "password": PASSWORD, **extra})


def test_convention_signed_with_password_and_code_records_the_second_factor(
        client, at_convention, president):
    login(client, president)
    secret, _codes = enrol(client, president)
    panel = client.get(f"/projects/{at_convention.id}/actions").get_data(as_text=True)
    assert 'name="code"' in panel
    assert _sign(client, at_convention).status_code == 422  # the code is missing
    assert _sign(client, at_convention, code=next_code(secret)).status_code in (302, 303)
    signoff = db.session.scalar(select(SignOff).where(SignOff.project_id == at_convention.id,
                                                      SignOff.gate == "convention"))
    assert signoff.user_id == president.id and signoff.second_factor is True


def test_wrong_code_is_refused_beside_the_field_and_counted_by_the_throttle(
        client, at_convention, president):
    login(client, president)
    enrol(client, president)
    response = _sign(client, at_convention, code="000000")
    assert response.status_code == 422
    assert "The code is not correct" in response.get_data(as_text=True)
    assert 'id="act-1-code-error"' in response.get_data(as_text=True) or \
        "code-error" in response.get_data(as_text=True)
    assert db.session.scalar(select(SignOff).where(SignOff.project_id == at_convention.id,
                                                   SignOff.gate == "convention")) is None
    assert db.session.scalars(select(LoginAttempt).where(
        LoginAttempt.email == president.email, LoginAttempt.succeeded.is_(False))).all()


def test_signer_without_a_factor_signs_with_the_password_alone(at_convention, president):
    services.fire(president, at_convention, "signoff:convention", password=PASSWORD)
    signoff = db.session.scalar(select(SignOff).where(SignOff.project_id == at_convention.id,
                                                      SignOff.gate == "convention"))
    assert signoff.second_factor is False
