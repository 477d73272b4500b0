"""The action panel: sign-offs and transitions through the page, with htmx (out-of-band
updates of the badge and the timeline) and without (POST, then 303)."""

from __future__ import annotations

from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.workflow import services as workflow
from tests.factories import PASSWORD, login
from tests.projects.conftest import complete

HX = {"HX-Request": "true"}


def _act(client, project, trigger, htmx=True, **data):
    return client.post(f"/projects/{project.id}/act", data={"trigger": trigger, **data},
                       headers=HX if htmx else {})


def test_signing_updates_panel_badge_and_timeline_out_of_band(client, agent, president, chair,
                                                               project):
    complete(project, agent)
    db.session.commit()
    login(client, president)
    panel = client.get(f"/projects/{project.id}/actions", headers=HX).get_data(as_text=True)
    assert "signoff:endorsement" in panel and 'type="password"' in panel
    response = _act(client, project, "signoff:endorsement", password=PASSWORD,
                    **{"data-decision": "approve"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="action-panel"')
    assert '<span id="state-badge" class="state-line" hx-swap-oob="true">' in html
    assert '<section id="timeline" class="panel timeline"' in html and "hx-swap-oob" in html
    assert [s.party for s in workflow.signoffs(project)] == ["commune"]

    client.post("/logout")
    login(client, chair)
    response = _act(client, project, "signoff:endorsement", htmx=False, password=PASSWORD,
                    **{"data-decision": "approve"})
    assert response.status_code == 303 and response.headers["Location"] == (
        f"/projects/{project.id}")
    client.post("/logout")
    login(client, agent)
    response = _act(client, project, "submit")
    assert response.status_code == 200
    db.session.expire_all()
    assert project.state == "submitted"
    assert "Eligibility review" in response.get_data(as_text=True)


def test_wrong_password_is_refused_in_the_panel_and_nothing_is_signed(client, agent, president,
                                                                       project):
    complete(project, agent)
    db.session.commit()
    login(client, president)
    response = _act(client, project, "signoff:endorsement", password="wrong",
                    **{"data-decision": "approve"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "<details" in html and " open" in html
    assert workflow.signoffs(project) == []


def test_required_comment_is_asked_and_kept_plain_post(client, officer, agent, project):
    complete(project, agent)
    project.state = "submitted"
    db.session.commit()
    login(client, officer)
    response = _act(client, project, "request_changes", htmx=False, comment="")
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)
    db.session.expire_all()
    assert project.state == "submitted"
    response = _act(client, project, "request_changes", htmx=False,
                    comment="Précisez le budget <b>svp</b>")
    assert response.status_code == 303
    db.session.expire_all()
    assert project.state == "draft"
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Précisez le budget &lt;b&gt;svp&lt;/b&gt;" in page


def test_action_not_available_to_the_user_changes_nothing(client, member, project):
    login(client, member)
    response = _act(client, project, "declare_eligible")
    assert response.status_code == 422
    db.session.expire_all()
    assert project.state == "draft"


def test_recorded_fields_are_asked_in_the_dialog(client, agent, project):
    project.state = "council_deliberation"
    db.session.commit()
    login(client, agent)
    panel = client.get(f"/projects/{project.id}/actions", headers=HX).get_data(as_text=True)
    assert 'name="data-session_date"' in panel and 'type="date"' in panel
    response = _act(client, project, "record_deliberation", **{
        "data-session_date": today().isoformat(), "data-session_number": "12/2026",
        "data-vote_for": "18", "data-vote_against": "2", "data-vote_abstain": "x"})
    assert response.status_code == 422
    assert 'value="12/2026"' in response.get_data(as_text=True)
    response = _act(client, project, "record_deliberation", **{
        "data-session_date": today().isoformat(), "data-session_number": "12/2026",
        "data-vote_for": "18", "data-vote_against": "2", "data-vote_abstain": "1"})
    assert response.status_code == 200
    db.session.expire_all()
    assert project.state == "governor_visa"
    assert workflow.history(project)[-1].data["vote_for"] == 18


def test_editing_is_closed_after_submission(client, agent, project):
    project.state = "submitted"
    db.session.commit()
    login(client, agent)
    assert client.get(f"/projects/{project.id}/edit").status_code == 303
    response = client.post(f"/projects/{project.id}/budget", data={
        "category": "events", "description": "x", "amount": "10", "funder": "commune"})
    assert response.status_code == 303
    assert project.budget_lines == []


def test_activities_are_followed_up_during_execution(client, agent, project):
    from tadafur.projects import services

    activity = services.add_activity(agent, project, {"title": "Atelier",
                                                      "planned_start": None,
                                                      "planned_end": None})
    db.session.commit()
    login(client, agent)
    url = f"/projects/{project.id}/activities/{activity.id}/status"
    refused = client.post(url, data={"status": "done"})  # still a draft
    assert refused.status_code == 303
    db.session.expire_all()
    assert activity.status == "planned"
    project.state = "in_execution"
    db.session.commit()
    no_reason = client.post(url, data={"status": "closed"}, headers=HX)
    assert no_reason.status_code == 409
    assert "Say why the activity is closed." in no_reason.get_data(as_text=True)
    assert client.post(url, data={"status": "done"}).status_code == 303
    db.session.expire_all()
    assert activity.status == "done"
    html = client.get(f"/projects/{project.id}?tab=plan").get_data(as_text=True)
    assert f'id="status-{activity.id}"' in html
