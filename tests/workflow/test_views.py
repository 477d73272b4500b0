"""The workflow diagram fragment, and CSRF on the action endpoint (the action panel itself is
tested with the project pages)."""

from __future__ import annotations

from tadafur.workflow import services
from tests.factories import PASSWORD, login
from tests.workflow.conftest import act


def test_diagram_shows_phases_current_state_and_signoffs(client, project, president, chair,
                                                         reviewer):
    act(president, project, "signoff:endorsement")
    login(client, reviewer)
    response = client.get(f"/projects/{project.id}/workflow/diagram")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script" not in body
    for phase in ("Proposal", "Approval", "Execution", "Follow-up", "Evaluation"):
        assert phase in body
    assert body.count('aria-current="step"') == 1
    current = body.split('aria-current="step"')[1].split("</li>\n      </ol>")[0]
    assert "Draft" in current
    assert "signer-signed" in current and president.full_name in current
    assert "signer-awaited" in current


def test_outsider_cannot_see_the_diagram(client, project, outsider_member):
    login(client, outsider_member)
    assert client.get(f"/projects/{project.id}/workflow/diagram").status_code == 403


def test_actions_refuse_a_post_without_csrf_token(app, client, project, president):
    login(client, president)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/projects/{project.id}/act", data={
            "trigger": "signoff:endorsement", "password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert services.signoffs(project) == []
