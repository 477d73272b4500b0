"""The workspace pages, with and without htmx: list, creation, editing, tabs, budget."""

from __future__ import annotations

import re

from sqlalchemy import select

from tadafur.accounts.models import Role
from tadafur.extensions import db
from tadafur.organisations.models import Region
from tadafur.projects.models import BudgetLine, Project
from tests.factories import login, make_user
from tests.projects.conftest import make_project

HX = {"HX-Request": "true"}


def test_agent_creates_a_project_with_plain_post_then_303(client, agent, association, commune,
                                                          themes):
    login(client, agent)
    page = client.get("/projects/new")
    assert page.status_code == 200
    response = client.post("/projects/new", data={
        "commune_id": commune.id, "lead_association_id": association.id,
        "title_ar": "فضاء الحوار", "title_fr": "Espace de dialogue",
        "theme_ids": [themes[2].id], "beneficiaries_women": "20"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.title_fr == "Espace de dialogue"))
    assert response.headers["Location"] == f"/projects/{project.id}"
    assert project.beneficiaries_women == 20 and [t.id for t in project.themes] == [themes[2].id]
    assert re.fullmatch(r"TDF-\d{4}-[A-Z]+-\d{4}", project.reference)


def test_creation_errors_are_shown_beside_the_fields_with_422(client, agent, association,
                                                              commune):
    login(client, agent)
    response = client.post("/projects/new", data={
        "commune_id": commune.id, "lead_association_id": association.id,
        "beneficiaries_men": "-3", "start_date": "2026-05-01", "end_date": "2026-01-01"},
        headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<form id=\"project-form\"")  # the fragment htmx swaps
    assert 'id="title_fr-error"' in html and 'id="beneficiaries_men-error"' in html
    assert 'id="end_date-error"' in html
    assert db.session.scalar(select(db.func.count()).select_from(Project)) == 0


def test_second_save_gets_conflict_with_other_change_and_keeps_own_input(client, agent, member,
                                                                         project):
    login(client, member)
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    from tadafur.projects import services

    services.update_project(agent, project, {"summary": "Texte de la commune"}, project.version)
    db.session.commit()
    data = {"lead_association_id": project.lead_association_id, "version": version,
            "title_fr": "Titre de l'association", "summary": "Mon texte à moi"}
    response = client.post(f"/projects/{project.id}/edit", data=data, headers=HX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Texte de la commune" in html  # their change is shown
    assert "Mon texte à moi" in html and "Titre de l&#39;association" in html  # mine is kept
    assert f'value="{int(version) + 1}"' in html  # the next save is based on what I saw
    db.session.expire_all()
    assert project.summary == "Texte de la commune"
    data["version"] = str(int(version) + 1)
    assert client.post(f"/projects/{project.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert project.summary == "Mon texte à moi"


def test_tabs_load_as_fragments_and_as_full_pages(client, agent, project):
    login(client, agent)
    for tab in ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history"):
        fragment = client.get(f"/projects/{project.id}/tabs/{tab}", headers=HX)
        assert fragment.status_code == 200, tab
        assert "<html" not in fragment.get_data(as_text=True)
        assert 'hx-swap-oob="true"' in fragment.get_data(as_text=True)
        page = client.get(f"/projects/{project.id}?tab={tab}")
        assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert client.get(f"/projects/{project.id}/tabs/nope").status_code == 404


def test_budget_line_added_with_htmx_updates_the_totals(client, member, project):
    member.locale = "ar"  # amounts as Moroccan Arabic writes them: 12.500,50
    db.session.commit()
    login(client, member)
    response = client.post(f"/projects/{project.id}/budget", data={
        "category": "equipment", "description": "Chaises", "amount": "12500.50",
        "funder": "commune"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Chaises" in html and "12.500,50" in html and "100" in html
    line = db.session.scalar(select(BudgetLine).where(BudgetLine.project_id == project.id))
    removed = client.post(f"/projects/{project.id}/budget/{line.id}/remove")
    assert removed.status_code == 303
    assert removed.headers["Location"] == f"/projects/{project.id}?tab=budget"
    assert db.session.scalar(select(BudgetLine).where(BudgetLine.project_id == project.id)) \
        is None


def test_budget_line_with_bad_amount_is_refused_beside_the_field(client, member, project):
    login(client, member)
    response = client.post(f"/projects/{project.id}/budget", data={
        "category": "equipment", "description": "", "amount": "abc", "funder": "commune"},
        headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="amount-error"' in html and 'id="description-error"' in html


def test_activity_and_indicator_are_added_without_javascript(client, agent, project):
    login(client, agent)
    response = client.post(f"/projects/{project.id}/activities", data={
        "activity-title": "Atelier", "activity-planned_start": "2026-04-01",
        "activity-planned_end": "2026-04-02"})
    assert response.status_code == 303
    response = client.post(f"/projects/{project.id}/indicators", data={
        "indicator-level": "output", "indicator-name": "Jeunes formés",
        "indicator-unit": "personnes", "indicator-baseline": "0", "indicator-target": "40",
        "indicator-disaggregated": "y"})
    assert response.status_code == 303
    html = client.get(f"/projects/{project.id}?tab=plan").get_data(as_text=True)
    assert "Atelier" in html and "Jeunes formés" in html


def test_list_filters_and_keyset_pages(client, officer, agent, commune, other_commune,
                                       association, other_association, themes):
    other_agent = make_user(Role.COMMUNE_AGENT, other_commune)
    mine = [make_project(agent, commune, association, title_fr=f"Jeunesse {n}",
                         theme_ids=[themes[0].id]) for n in range(30)]
    theirs = make_project(other_agent, other_commune, other_association, title_fr="Ailleurs")
    db.session.commit()
    login(client, officer)
    first = client.get("/projects?q=jeunesse", headers={**HX, "HX-Target": "project-rows"})
    html = first.get_data(as_text=True)
    assert "<html" not in html and html.count("/projects/") >= 25
    assert mine[-1].reference in html and mine[4].reference not in html
    assert "Ailleurs" not in html
    after = re.search(r'href="(/projects\?[^"]*after=\d+[^"]*)"', html).group(1)
    second = client.get(after.replace("&amp;", "&"),
                        headers={**HX, "HX-Target": "more-projects"}).get_data(as_text=True)
    assert mine[0].reference in second and mine[-1].reference not in second
    by_commune = client.get(f"/projects?commune={other_commune.id}").get_data(as_text=True)
    assert theirs.reference in by_commune and mine[0].reference not in by_commune
    by_theme = client.get(f"/projects?theme={themes[0].id}&state=draft&phase=proposal")
    assert theirs.reference not in by_theme.get_data(as_text=True)
    assert mine[-1].reference in by_theme.get_data(as_text=True)
    overdue = client.get("/projects?overdue=1").get_data(as_text=True)
    assert mine[0].reference not in overdue
    region = commune.province.region
    elsewhere = db.session.scalar(select(Region).where(Region.id != region.id,
                                                       Region.in_programme))
    in_region = client.get(f"/projects?region={region.id}").get_data(as_text=True)
    assert mine[-1].reference in in_region
    assert mine[-1].reference not in client.get(
        f"/projects?region={elsewhere.id}").get_data(as_text=True)
    in_province = client.get(f"/projects?province={commune.province_id}").get_data(
        as_text=True)
    assert mine[-1].reference in in_province
    by_association = client.get(f"/projects?association={other_association.id}")
    assert theirs.reference in by_association.get_data(as_text=True)
    assert mine[-1].reference not in by_association.get_data(as_text=True)


def test_list_shows_only_the_users_scope(client, outsider_agent, project):
    login(client, outsider_agent)
    html = client.get("/projects").get_data(as_text=True)
    assert project.reference not in html


def test_numbers_too_large_for_the_database_are_refused_not_a_500(client, agent, project):
    login(client, agent)
    response = client.post(f"/projects/{project.id}/edit", data={
        "lead_association_id": project.lead_association_id, "version": project.version,
        "title_fr": "x", "beneficiaries_women": "99999999999999999999"}, headers=HX)
    assert response.status_code == 422
    assert 'id="beneficiaries_women-error"' in response.get_data(as_text=True)
    response = client.post(f"/projects/{project.id}/budget", data={
        "category": "events", "description": "x", "amount": "1e20", "funder": "commune"},
        headers=HX)
    assert response.status_code == 422
    for target in ("12345678901234567", "NaN", "Infinity", "-0.5"):
        response = client.post(f"/projects/{project.id}/indicators", data={
            "indicator-level": "output", "indicator-name": "n", "indicator-unit": "u",
            "indicator-target": target}, headers=HX)
        assert response.status_code == 422, target
        assert 'id="indicator-target-error"' in response.get_data(as_text=True)
    response = client.post(f"/projects/{project.id}/budget", data={
        "category": "events", "description": "x", "amount": "NaN", "funder": "commune"},
        headers=HX)
    assert response.status_code == 422
