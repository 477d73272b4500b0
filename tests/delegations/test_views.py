"""The delegations page: grant with a plain POST, errors beside the fields, revoke."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.delegations.models import Delegation
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tests.factories import login

TODAY = utcnow().date()


def _data(chair, member, **extra):
    data = {"membership_id": chair.memberships[0].id, "delegate_id": member.id,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=14)).isoformat(),
            "scope": "all", "reason": "Mission à Rabat"}
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
    revoked = client.post(f"/delegations/{delegation.id}/revoke")
    assert revoked.status_code == 303
    db.session.expire_all()
    assert delegation.revoked_at is not None


def test_a_bad_period_comes_back_beside_the_field_with_422(client, chair, member):
    login(client, chair)
    response = client.post("/delegations", data=_data(
        chair, member, ends_on=(TODAY - dt.timedelta(days=3)).isoformat()))
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
    assert client.post(f"/delegations/{delegation.id}/revoke").status_code == 403
