"""The delegations page: grant with a plain POST, errors beside the fields, revoke."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.delegations.models import Delegation
from tadafur.extensions import db
from tadafur.models_base import today
from tests.factories import PASSWORD, login


def _data(chair, member, **extra):
    data = {"membership_id": chair.memberships[0].id, "delegate_id": member.id,
            "starts_on": today().isoformat(),
            "ends_on": (today() + dt.timedelta(days=14)).isoformat(),
            "scope": "all", "reason": "Mission à Rabat", "password": PASSWORD}
    data.update(extra)
    return data


def test_grant_and_revoke_with_plain_posts(client, chair, member):
    login(client, chair)
    page = client.get("/delegations")
    assert page.status_code == 200 and member.full_name in page.text
    response = client.post("/delegations", data=_data(chair, member))
    assert response.status_code == 303, response.text[:500]
    delegation = db.session.scalar(select(Delegation))
    assert (delegation.delegate_id, delegation.all_projects) == (member.id, True)
    listed = client.get("/delegations")
    assert "Mission à Rabat" in listed.text and "Revoke" in listed.text
    revoked = client.post(f"/delegations/{delegation.id}/revoke", data={"password": PASSWORD})
    assert revoked.status_code == 303
    db.session.expire_all()
    assert delegation.revoked_at is not None


def test_a_bad_period_comes_back_beside_the_field_with_422(client, chair, member):
    login(client, chair)
    response = client.post("/delegations", data=_data(
        chair, member, ends_on=(today() - dt.timedelta(days=3)).isoformat()))
    assert response.status_code == 422
    assert 'id="ends_on-error"' in response.text
    assert db.session.scalar(select(Delegation)) is None


def test_the_delegate_sees_what_they_received_but_cannot_grant(client, chair, member):
    login(client, chair)
    client.post("/delegations", data=_data(chair, member))
    client.post("/logout")
    login(client, member)
    page = client.get("/delegations")
    assert page.status_code == 200 and chair.full_name in page.text
    assert 'id="grant-title"' not in page.text
    assert client.post("/delegations", data=_data(chair, member)).status_code == 403


def test_only_the_delegator_revokes(client, chair, member, president):
    login(client, chair)
    client.post("/delegations", data=_data(chair, member))
    delegation = db.session.scalar(select(Delegation))
    client.post("/logout")
    login(client, president)
    assert client.post(f"/delegations/{delegation.id}/revoke",
                       data={"password": PASSWORD}).status_code == 403


# ---------------------------------------------------------------- the password, the scope

def test_granting_asks_for_the_password(client, chair, member):
    login(client, chair)
    for password in ("", "not my password"):
        response = client.post("/delegations", data=_data(chair, member, password=password))
        assert response.status_code == 422
        assert 'id="password-error"' in response.text
    assert db.session.scalar(select(Delegation)) is None


def test_revoking_asks_for_the_password_and_keeps_the_delegation_otherwise(client, chair,
                                                                           member):
    login(client, chair)
    client.post("/delegations", data=_data(chair, member))
    delegation = db.session.scalar(select(Delegation))
    response = client.post(f"/delegations/{delegation.id}/revoke", data={"password": "nope"})
    assert response.status_code == 422
    assert "The password is not correct." in response.text
    assert f'id="revoke-{delegation.id}-error"' in response.text
    db.session.expire_all()
    assert delegation.revoked_at is None


def _delegate_may_sign(member, project) -> bool:
    from tadafur.workflow import services as workflow

    db.session.expire_all()  # the requests changed rows this session holds
    return any(a.kind == "signoff" for a in workflow.available_actions(member, project))


def test_each_scope_choice_decides_what_the_delegate_can_sign(client, chair, member, agent,
                                                              commune, association):
    from tests.workflow.conftest import build_project

    chosen = build_project(commune, association, agent)
    other = build_project(commune, association, agent)
    login(client, chair)
    assert not _delegate_may_sign(member, chosen)

    # "Only the projects chosen below" with none ticked: refused beside the field.
    response = client.post("/delegations", data=_data(chair, member, scope="some"))
    assert response.status_code == 422
    assert 'id="project_ids-error"' in response.text
    assert db.session.scalar(select(Delegation)) is None
    assert not _delegate_may_sign(member, chosen) and not _delegate_may_sign(member, other)

    # Some projects, one ticked: that one only.
    response = client.post("/delegations", data=_data(chair, member, scope="some",
                                                      project_ids=[str(chosen.id)]))
    assert response.status_code == 303, response.text[:300]
    assert _delegate_may_sign(member, chosen) and not _delegate_may_sign(member, other)
    some = db.session.scalar(select(Delegation))
    assert client.post(f"/delegations/{some.id}/revoke",
                       data={"password": PASSWORD}).status_code == 303
    assert not _delegate_may_sign(member, chosen)

    # All my projects: both.
    assert client.post("/delegations", data=_data(chair, member)).status_code == 303
    assert _delegate_may_sign(member, chosen) and _delegate_may_sign(member, other)
