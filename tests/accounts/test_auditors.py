"""Outside auditors: read-only, limited to their grant, expiring by itself, every use audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tadafur.accounts.auditors import grant, revoke
from tadafur.accounts.models import AuditorGrant, User
from tadafur.accounts.services import hash_password
from tadafur.audit.models import AuditEvent
from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import BudgetLine, Project
from tests.factories import PASSWORD, login


def _project(commune, association, reference):
    project = Project(reference=reference, title_ar="مشروع", title_fr="Projet",
                      commune_id=commune.id, lead_association_id=association.id,
                      workflow_name="co_creation", workflow_version=1, state="draft")
    project.budget_lines = [BudgetLine(category="c", description="d", amount=Decimal(10),
                                       funder="programme")]
    db.session.add(project)
    db.session.flush()
    return project


@pytest.fixture
def auditor(admin, commune):
    access = grant(admin, "auditor@cabinet.example.org", "Outside Auditor", [commune.id], [],
                   utcnow().date() + dt.timedelta(days=30), "Annual audit 2026")
    access.user.password_hash = hash_password(PASSWORD)
    db.session.commit()
    return access.user


def test_admin_grants_access_through_the_form(client, admin, commune):
    login(client, admin)
    until = (utcnow().date() + dt.timedelta(days=10)).isoformat()
    response = client.post("/admin/auditors", data={
        "email": "cabinet@example.org", "full_name": "Cabinet", "communes": [commune.id],
        "expires_on": until, "reason": "EU verification mission"})
    assert response.status_code == 200
    assert "/invitation/" in response.get_data(as_text=True)
    access = db.session.scalar(select(AuditorGrant))
    assert [c.id for c in access.communes] == [commune.id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auditor.granted"))


@pytest.mark.parametrize("data, message", [
    ({"expires_on": "2020-01-01"}, "after today"),
    ({"expires_on": "2099-01-01"}, "at most"),
    ({"communes": [], "projects": ""}, "at least one"),
    ({"projects": "TDF-0000-XX-9999"}, "Unknown project"),
    ({"reason": ""}, "field-error"),
])
def test_bad_grants_are_explained_and_nothing_is_written(client, admin, commune, data, message):
    login(client, admin)
    form = {"email": "x@example.org", "full_name": "X", "communes": [commune.id],
            "expires_on": (utcnow().date() + dt.timedelta(days=5)).isoformat(),
            "reason": "r", **data}
    response = client.post("/admin/auditors", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditorGrant)) is None
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_auditor_sees_only_the_granted_commune_and_changes_nothing(
        client, auditor, commune, other_commune, association, other_association):
    ours = _project(commune, association, "TDF-2026-AA-0001")
    theirs = _project(other_commune, other_association, "TDF-2026-BB-0002")
    record("project.updated", object_type="project", project=ours, summary="in scope")
    record("project.updated", object_type="project", project=theirs, summary="out of scope")
    db.session.commit()
    login(client, auditor)
    from tadafur.access import can

    db.session.expire_all()
    assert can(auditor, "project.view", ours)
    assert not can(auditor, "project.view", theirs)
    assert not can(auditor, "project.edit", ours)
    assert not can(auditor, "project.act", ours)
    html = client.get("/audit/").get_data(as_text=True)
    assert "TDF-2026-AA-0001" in html and "TDF-2026-BB-0002" not in html
    assert client.get("/dashboards").status_code == 403
    assert client.post("/communes/new", data={}).status_code == 403


def test_every_request_of_an_auditor_is_audited(client, auditor):
    login(client, auditor)
    client.get("/communes?q=abc")
    paths = db.session.scalars(select(AuditEvent.summary).where(
        AuditEvent.action == "auditor.access")).all()
    assert "GET /communes" in paths


def test_access_ends_by_itself(client, auditor):
    access = db.session.scalar(select(AuditorGrant).where(AuditorGrant.user_id == auditor.id))
    access.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    response = client.post("/login", data={"email": auditor.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "has ended" in response.get_data(as_text=True)


def test_revoked_access_logs_the_auditor_out(client, auditor):
    login(client, auditor)
    assert client.get("/").status_code == 200
    revoke(db.session.scalar(select(AuditorGrant).where(AuditorGrant.user_id == auditor.id)))
    db.session.commit()
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auditor.revoked"))


def test_project_level_grant(admin, commune, association):
    project = _project(commune, association, "TDF-2026-CC-0003")
    access = grant(admin, "p@example.org", "P", [], ["tdf-2026-cc-0003 "],
                   utcnow().date() + dt.timedelta(days=3), "one project")
    from tadafur.access import can

    assert can(access.user, "project.view", project)
    assert not can(access.user, "project.edit", project)
