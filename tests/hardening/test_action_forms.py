"""The workflow action panel of every state, crawled like the other forms (forms.py): for each
state of the workflow and each persona who acts on projects, the panel's forms are read from
the page, a payload goes into every free-text field (comment, recorded data), and every
answer and page shows it escaped; then the same forms are fuzzed (hypothesis): never a 5xx.

The crawl of draft projects (test_attacks.py) sees only the first state's forms; the forms
of later states (selection, deliberation, convention signature, reports...) ask for other
fields (dates, votes, scores, decisions).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tadafur.extensions import db
from tadafur.workflow import hooks, services as workflow
from tests.factories import login
from tests.hardening import forms as crawl
from tests.hardening.test_attacks import PAYLOADS, RAW_MARKERS, TEXT
from tests.projects.conftest import complete, make_project

# Fuzzed comments reach the sign-off record's pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs

ACTORS = ("agent", "president", "member", "chair", "officer")


@pytest.fixture
def by_state(agent, commune, association):
    """One complete project per state of the workflow, put straight into that state."""
    definition = workflow.definition_of(complete(make_project(agent, commune, association),
                                                 agent))
    projects = {}
    for state in definition.states:
        project = complete(make_project(agent, commune, association), agent)
        project.state = state
        projects[state] = project
    db.session.flush()
    # A sign-off is offered only on a document that is there (issue 18): the convention's
    # signatories get their forms once it is produced, as the workflow's move there does.
    hooks.DOCUMENT_PRODUCERS["convention"](projects["convention_signature"], agent)
    db.session.flush()
    return projects


def _panel_forms(app, client, project) -> list[crawl.Form]:
    response = client.get(f"/projects/{project.id}/actions")
    assert response.status_code == 200
    forms = []
    for attrs, fields in crawl.parse_forms(response.get_data(as_text=True)):
        action = attrs.get("action", "")
        endpoint = crawl.endpoint_of(app, action)
        if attrs.get("method", "").lower() == "post" and endpoint:
            forms.append(crawl.Form(action, endpoint, f"/projects/{project.id}", False,
                                    dict(fields)))
    return forms


def _crawl(app, client, request, by_state):
    """(state, persona, form) for every action form shown, logging each persona in turn."""
    for persona in ACTORS:
        client.post("/logout")
        login(client, request.getfixturevalue(persona))
        for state, project in by_state.items():
            for form in _panel_forms(app, client, project):
                yield state, persona, project, form


def test_every_state_action_form_echoes_text_escaped(app, client, request, by_state,
                                                      record_property):
    leaks, forms, tried, states = [], 0, 0, set()
    for state, persona, project, form in list(_crawl(app, client, request, by_state)):
        forms += 1
        states.add(state)
        for payload in PAYLOADS:
            project.state = state  # a fired action moved it on: back to the state crawled
            db.session.flush()
            response = client.post(form.action, data=crawl.valid_values(form, payload))
            tried += len(form.text_fields())
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (state, persona, form.action, response.status_code)
            if any(marker in body for marker in RAW_MARKERS):
                leaks.append(f"{state} {persona} {form.fields['trigger'].value}")
    for project in by_state.values():  # where the stored comments and data are shown
        for tab in ("overview", "history", "signoffs"):
            body = client.get(f"/projects/{project.id}?tab={tab}").get_data(as_text=True)
            if any(marker in body for marker in RAW_MARKERS):
                leaks.append(f"project {project.id} tab {tab}")
    record_property("action_forms", forms)
    record_property("payloads_tried", tried)
    print(f"action panel: {forms} forms in {len(states)} states, {tried} payloads")
    assert not leaks, "unescaped payloads:\n" + "\n".join(sorted(set(leaks)))
    assert len(states) >= 10 and forms >= 20, (len(states), forms)


def test_fuzzing_every_state_action_form_never_gives_a_server_error(app, client, request,
                                                                     by_state):
    found = list(_crawl(app, client, request, by_state))
    assert len(found) >= 20
    by_persona: dict[str, list] = {}
    for state, persona, project, form in found:
        by_persona.setdefault(persona, []).append((state, project, form))

    def fuzz_as(entries) -> None:
        @settings(max_examples=3, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def fuzz(data):
            for state, project, form in entries:
                project.state = state
                db.session.flush()
                values = crawl.valid_values(form, "x")
                for name in form.fields:
                    if name != "csrf_token" and data.draw(st.booleans(), label=f"fuzz {name}"):
                        values[name] = data.draw(TEXT, label=f"{state} {name}")
                response = client.post(form.action, data=values)
                assert response.status_code < 500, (state, form.action, values,
                                                    response.status_code)

        fuzz()

    for persona, entries in by_persona.items():
        client.post("/logout")
        login(client, request.getfixturevalue(persona))
        fuzz_as(entries)
