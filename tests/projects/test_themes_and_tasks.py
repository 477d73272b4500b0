"""Themes administration and the my-tasks panel of the home page."""

from __future__ import annotations

from sqlalchemy import select

from tadafur.extensions import db
from tadafur.projects.models import Theme
from tadafur.workflow import services as workflow
from tests.factories import PASSWORD, login
from tests.projects.conftest import complete


def test_admin_edits_the_theme_list(client, admin, themes):
    login(client, admin)
    assert "Participation des jeunes" in client.get("/themes").get_data(as_text=True)
    response = client.post("/themes/new", data={
        "code": "sport", "name_ar": "الرياضة", "name_fr": "Sport", "name_en": "Sport",
        "active": "y"})
    assert response.status_code == 303
    theme = db.session.scalar(select(Theme).where(Theme.code == "sport"))
    response = client.post(f"/themes/{theme.id}/edit", data={
        "code": "sport", "name_ar": "الرياضة", "name_fr": "Sport et jeunesse",
        "name_en": "Sport"})
    assert response.status_code == 303
    db.session.expire_all()
    assert theme.name_fr == "Sport et jeunesse" and theme.active is False
    duplicate = client.post("/themes/new", data={
        "code": "sport", "name_ar": "x", "name_fr": "x", "name_en": "x"})
    assert duplicate.status_code == 422 and 'id="code-error"' in duplicate.get_data(
        as_text=True)


def test_only_administrators_edit_themes(client, agent, officer):
    for user in (agent, officer):
        login(client, user)
        assert client.get("/themes").status_code == 403
        assert client.post("/themes/new", data={"code": "x"}).status_code == 403
        client.post("/logout")


def test_my_tasks_show_awaited_signoffs_and_counts(client, agent, president, project):
    complete(project, agent)
    db.session.commit()
    login(client, president)
    html = client.get("/").get_data(as_text=True)
    assert 'id="my-tasks"' in html and project.reference in html
    assert "Endorse the proposal" in html
    workflow.fire(president, project, "signoff:endorsement", password=PASSWORD,
                  data={"decision": "approve"})
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert project.reference not in html  # no longer awaited from me
    assert "Nothing awaits you right now." in html
    assert "/projects?state=draft" in html  # still counted in my scope


def test_overdue_tasks_come_first(client, agent, president, commune, association):
    from datetime import timedelta

    from tests.projects.conftest import make_project

    recent = complete(make_project(agent, commune, association, title_fr="Récent"), agent)
    late = complete(make_project(agent, commune, association, title_fr="En retard"), agent)
    late.state_entered_at = late.state_entered_at - timedelta(days=120)  # draft lasts 90 days
    db.session.commit()
    login(client, president)  # the endorsement of both drafts awaits the commune's signatory
    html = client.get("/").get_data(as_text=True)
    panel = html[html.index('id="my-tasks"'):]
    assert panel.index(late.reference) < panel.index(recent.reference)
    assert 'class="task is-overdue"' in panel
    listed = client.get("/projects?overdue=1").get_data(as_text=True)
    assert late.reference in listed and recent.reference not in listed
