"""Dashboards for the programme and the ministry; open data for everyone."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tadafur.extensions import db
from tadafur.projects.models import BudgetLine, Project
from tadafur.workflow import services as workflow
from tests.factories import login

_numbers = itertools.count(1)


def _project(commune, association, state="draft", published=False, women=10, days_ago=0,
             reference=None):
    n = next(_numbers)
    project = Project(reference=reference or f"TDF-2026-XX-{n:04d}", title_ar=f"مشروع {n}",
                      title_fr=f"Projet {n}", commune_id=commune.id,
                      lead_association_id=association.id, workflow_name="co_creation",
                      workflow_version=1, state=state, publication_approved=published,
                      beneficiaries_women=women, beneficiaries_men=5, beneficiaries_youth=7,
                      state_entered_at=dt.datetime(2024, 1, 1) if days_ago else
                      dt.datetime.now(dt.UTC).replace(tzinfo=None))
    project.budget_lines = [
        BudgetLine(category="equipment", description="chairs", amount=Decimal("60000"),
                   funder="programme"),
        BudgetLine(category="staff", description="trainer", amount=Decimal("15000"),
                   funder="commune")]
    db.session.add(project)
    db.session.flush()
    return project


@pytest.fixture
def portfolio(commune, other_commune, association, other_association):
    return [
        _project(commune, association, "draft"),
        _project(commune, association, "in_execution", published=True, days_ago=400),
        _project(other_commune, other_association, "closed", published=True),
        _project(other_commune, other_association, "submitted", days_ago=400),
    ]


def test_dashboard_counts_phases_budget_beneficiaries_and_overdue(client, officer, portfolio,
                                                                   commune):
    login(client, officer)
    response = client.get("/dashboards")
    assert response.status_code == 200
    from tadafur.oversight.services import DashboardFilter, build

    data = build(DashboardFilter())
    assert data.total_projects >= 4
    by_funder = {line["funder"]: line for line in data.budget_by_funder}
    assert by_funder["programme"]["planned"] >= Decimal("240000")
    assert by_funder["programme"]["committed"] >= Decimal("120000")  # execution + closed
    assert data.beneficiaries["women"] >= 40
    overdue = {row["names"][1]: row["overdue"] for row in data.overdue_by_commune}
    assert overdue.get(commune.name_fr) == 1
    assert "<svg" in response.get_data(as_text=True)


def test_dashboard_filters_by_region(officer, portfolio, commune, other_commune):
    from tadafur.oversight.services import DashboardFilter, build

    data = build(DashboardFilter(region_id=commune.province.region_id))
    names = {row["names"][1] for row in data.by_commune}
    assert commune.name_fr in names
    if other_commune.province.region_id != commune.province.region_id:
        assert other_commune.name_fr not in names


def test_dashboard_exports_csv_and_xlsx(client, reviewer, portfolio, commune):
    reviewer.locale = "ar"
    db.session.commit()
    login(client, reviewer)
    csv_text = client.get("/dashboards.csv").get_data(as_text=True)
    assert commune.name_ar in csv_text and "planned_mad" in csv_text
    xlsx = client.get("/dashboards.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "commune"


def test_commune_and_association_users_do_not_see_dashboards(client, agent, member):
    for user in (agent, member):
        login(client, user)
        assert client.get("/dashboards").status_code == 403
        client.post("/logout")


def test_open_data_shows_only_published_projects_without_personal_data(client, portfolio):
    page = client.get("/open-data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    published = [p for p in portfolio if p.publication_approved]
    hidden = [p for p in portfolio if not p.publication_approved]
    assert all(p.reference in html for p in published)
    assert not any(p.reference in html for p in hidden)
    data = json.loads(client.get("/open-data/projects.json?lang=fr").data)
    references = {row["reference"] for row in data["projects"]}
    assert references >= {p.reference for p in published}
    assert not references & {p.reference for p in hidden}
    text = json.dumps(data) + client.get("/open-data/projects.csv").get_data(as_text=True)
    assert "@" not in text and "+212" not in text


def test_officer_approves_publication_and_it_is_audited(client, officer, portfolio):
    from sqlalchemy import select

    from tadafur.audit.models import AuditEvent

    project = portfolio[0]
    login(client, officer)
    response = client.post(f"/projects/{project.id}/publication", data={"publish": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert project.publication_approved
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "project.publication_changed",
        AuditEvent.project_id == project.id))


def test_others_cannot_change_publication(client, agent, reviewer, portfolio):
    project = portfolio[0]
    for user in (agent, reviewer):
        login(client, user)
        assert client.post(f"/projects/{project.id}/publication",
                           data={"publish": "1"}).status_code == 403
        client.post("/logout")


def test_median_days_per_phase_come_from_the_history(officer, commune, association):
    project = _project(commune, association)
    workflow.start(project, officer)
    db.session.flush()
    from tadafur.oversight.services import DashboardFilter, build

    data = build(DashboardFilter())
    assert set(data.median_days_by_phase) == set(data.phase_names)


def test_project_page_offers_the_publication_switch_to_the_officer_only(client, officer, agent,
                                                                       portfolio):
    project = portfolio[0]
    login(client, officer)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/projects/{project.id}/publication" in html and "Approve publication" in html
    client.post("/logout")
    login(client, agent)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/projects/{project.id}/publication" not in html
