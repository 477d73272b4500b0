"""Start from this project: another commune's agent copies the plan, never the people,
documents or sign-offs; the source counts the communes it was replicated in."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import force_locale, ngettext
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.showcase.models import Replication
from tests.execution.conftest import in_execution
from tests.factories import login, make_association


def _start(client, source, **data):
    return client.post(f"/projects/{source.id}/start-from", data=data)


def test_an_agent_of_another_commune_starts_a_draft_with_the_copied_plan(
        client, closed_project, outsider_agent, other_commune):
    lead = make_association(other_commune, "Association locale")
    login(client, outsider_agent)
    form = client.get(f"/projects/{closed_project.id}/start-from")
    assert form.status_code == 200 and lead.name_fr in form.get_data(as_text=True)
    response = _start(client, closed_project, commune_id=other_commune.id,
                      lead_association_id=lead.id)
    assert response.status_code == 303
    new = db.session.scalar(select(Project).where(Project.commune_id == other_commune.id))
    assert response.headers["Location"].endswith(f"/projects/{new.id}")
    assert new.state == "draft" and new.lead_association_id == lead.id
    assert new.title_fr == closed_project.title_fr and new.partners == []
    assert [a.title for a in new.activities] == [a.title for a in closed_project.activities]
    assert [(i.name, i.target, i.baseline) for i in new.indicators] == [
        (i.name, i.target, Decimal("0")) for i in closed_project.indicators]
    assert [(line.category, line.amount) for line in new.budget_lines] == [
        (line.category, Decimal("0")) for line in closed_project.budget_lines]
    assert new.start_date is None and new.place == ""
    link = db.session.scalar(select(Replication).where(Replication.project_id == new.id))
    assert link.source_project_id == closed_project.id and not link.with_amounts
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project.replicated"))
    assert event.project_id == new.id and closed_project.reference in event.summary
    page = client.get(f"/showcase/projects/{closed_project.id}").get_data(as_text=True)
    assert "Replicated in 1 commune" in page


def test_amounts_are_copied_when_asked(client, closed_project, outsider_member,
                                       other_association):
    login(client, outsider_member)
    response = _start(client, closed_project, commune_id=other_association.commune_id,
                      lead_association_id=other_association.id, with_amounts="y")
    assert response.status_code == 303
    new = db.session.scalar(select(Project).where(
        Project.lead_association_id == other_association.id))
    assert new.total() == closed_project.total() > 0


def test_another_communes_commune_is_refused_beside_the_field(client, closed_project,
                                                              outsider_agent, commune,
                                                              association):
    login(client, outsider_agent)
    response = _start(client, closed_project, commune_id=commune.id,
                      lead_association_id=association.id)
    assert response.status_code == 422
    assert "Choose your commune." in response.get_data(as_text=True)
    assert db.session.scalar(select(Replication.id)) is None
    empty = _start(client, closed_project)
    assert empty.status_code == 422


def test_an_unpublished_project_of_another_commune_cannot_be_copied(client, outsider_agent,
                                                                    agent, commune,
                                                                    association):
    hidden = in_execution(agent, commune, association)
    login(client, outsider_agent)
    assert client.get(f"/projects/{hidden.id}/start-from").status_code == 403


def test_the_count_says_communes_with_arabic_plurals(app, closed_project):
    with force_locale("ar"):
        texts = {n: ngettext("Replicated in %(num)d commune", "Replicated in %(num)d communes",
                             n) for n in (1, 2, 3, 11)}
    words = {n: "".join(ch for ch in text if not ch.isdigit()) for n, text in texts.items()}
    assert len(set(words.values())) == 4, texts  # one, two, a few (3-10), many (11-99)
    assert all("جماع" in text for text in texts.values()), texts
