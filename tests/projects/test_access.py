"""Authorization: every project URL refuses users outside the project's scope, and nothing a
user can open shows another commune's projects."""

from __future__ import annotations

import pytest

from tadafur.extensions import db
from tadafur.projects import services
from tests.factories import login
from tests.projects.conftest import make_project

TABS = ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history")


def _get_urls(project):
    return ([f"/projects/{project.id}", f"/projects/{project.id}/edit",
             f"/projects/{project.id}/actions"]
            + [f"/projects/{project.id}?tab={t}" for t in TABS]
            + [f"/projects/{project.id}/tabs/{t}" for t in TABS])


def _post_urls(project, line_id, activity_id, indicator_id):
    return [f"/projects/{project.id}/edit", f"/projects/{project.id}/budget",
            f"/projects/{project.id}/budget/{line_id}/remove",
            f"/projects/{project.id}/activities",
            f"/projects/{project.id}/activities/{activity_id}/remove",
            f"/projects/{project.id}/indicators",
            f"/projects/{project.id}/indicators/{indicator_id}/remove",
            f"/projects/{project.id}/messages", f"/projects/{project.id}/act"]


@pytest.fixture
def furnished(project, agent):
    line = services.add_budget_line(agent, project, {
        "category": "events", "description": "Secret line", "amount": 10, "funder": "commune"})
    activity = services.add_activity(agent, project, {"title": "Secret activity",
                                                      "planned_start": None, "planned_end": None})
    indicator = services.add_indicator(agent, project, {
        "level": "output", "name": "Secret indicator", "unit": "u", "baseline": 0,
        "target": 1, "disaggregated": True})
    services.post_message(agent, project, "Secret message")
    db.session.commit()
    return project, line.id, activity.id, indicator.id


@pytest.mark.parametrize("who", ["outsider_agent", "outsider_member"])
@pytest.mark.parametrize("htmx", [False, True])
def test_every_project_url_refuses_users_outside_the_scope(client, request, furnished, who,
                                                           htmx):
    project, *ids = furnished
    login(client, request.getfixturevalue(who))
    headers = {"HX-Request": "true"} if htmx else {}
    for url in _get_urls(project):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert "Secret" not in response.get_data(as_text=True)
    for url in _post_urls(project, *ids):
        response = client.post(url, data={"body": "x", "trigger": "submit",
                                          "description": "x", "amount": "1",
                                          "category": "events", "funder": "commune"},
                               headers=headers)
        assert response.status_code == 403, url
    db.session.expire_all()
    assert len(project.budget_lines) == 1 and project.state == "draft"
    assert len(services.messages_of(project)) == 1


def test_ministry_reviewer_reads_everything_and_changes_nothing(client, reviewer, furnished):
    project, *ids = furnished
    login(client, reviewer)
    for url in _get_urls(project):
        if url.endswith("/edit"):
            continue
        assert client.get(url).status_code == 200, url
    for url in _post_urls(project, *ids):
        assert client.post(url, data={"body": "x"}).status_code == 403, url


def test_no_page_of_mine_shows_another_communes_project(client, outsider_agent, other_commune,
                                                        other_association, furnished):
    project, *_ids = furnished
    own = make_project(outsider_agent, other_commune, other_association, title_fr="Le mien")
    services.post_message(outsider_agent, own, "Bonjour")
    db.session.commit()
    login(client, outsider_agent)
    urls = ["/", "/projects", "/projects?q=TDF", f"/projects?commune={project.commune_id}",
            "/notifications", "/notifications/badge", *_get_urls(own)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert project.reference not in html, url
        assert "Secret" not in html and "Projet d&#39;essai" not in html, url
