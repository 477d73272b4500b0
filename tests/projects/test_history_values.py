"""The History tab names the objects an event points at (a budget line, an activity, an
association, a theme, a person...), in the reader's language, instead of their database ids;
"#id" only once the object is gone. The stored events stay as they were (the hash chain)."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal

from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import record, verify_chain
from tadafur.audit.wording import changed_values, referenced_names, value_words
from tadafur.extensions import db
from tadafur.projects import services
from tests.factories import login, make_association
from tests.projects.conftest import complete, make_project

ROW = re.compile(r'<li><span class="field-name">(.*?)</span>:(.*?)</li>', re.S)
HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)


def _values(page: str) -> dict[str, list[str]]:
    """Field label -> the texts of its before/after cells, as read (tags and spacing gone)."""
    found: dict[str, list[str]] = {}
    for name, cell in ROW.findall(page):
        cell = HIDDEN.sub("", cell)  # "then", for screen readers, between before and after
        text = html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
        found.setdefault(html_lib.unescape(name), []).append(text)
    return found


def _history(client, user, project, language: str) -> dict[str, list[str]]:
    user.locale = language
    db.session.commit()
    login(client, user)
    response = client.get(f"/projects/{project.id}/tabs/history")
    assert response.status_code == 200
    return _values(response.get_data(as_text=True))


def _walked(agent, commune, association, themes, officer):
    """A project created with a partner and a theme, its partner changed, completed (a budget
    line, an activity, an indicator), and the execution events that point at them."""
    partner, other = make_association(commune, "Partenaire"), make_association(commune, "Relais")
    project = make_project(agent, commune, association, partner_ids=[partner.id],
                           theme_ids=[themes[0].id])
    services.update_project(agent, project, {"partner_ids": [other.id]}, project.version)
    complete(project, agent)
    line, activity = project.budget_lines[0], project.activities[0]
    indicator = project.indicators[0]
    record("expense.recorded", obj=project, project=project,
           after={"budget_line_id": line.id, "amount": Decimal("1200"), "description": "Salle"})
    record("activity.progress_reported", obj=activity, project=project,
           after={"activity_id": activity.id, "percent": 60, "note": "En cours"})
    record("indicator.value_recorded", obj=indicator, project=project,
           after={"indicator_id": indicator.id, "total": "12"})
    record("delegation.used", obj=project, project=project,
           after={"delegator_id": officer.id, "delegate_id": agent.id, "gate": "convention",
                  "party": "commune"})
    db.session.commit()
    return project, partner, other, line, activity, indicator


def test_the_history_tab_names_what_the_ids_point_at(client, agent, officer, commune,
                                                     association, themes):
    project, partner, other, line, activity, indicator = _walked(
        agent, commune, association, themes, officer)
    stored = [(e.before, e.after, e.hash) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id).order_by(AuditEvent.seq))]

    french = _history(client, agent, project, "fr")
    assert french["Ligne budgétaire"] == ["Ateliers"]
    assert french["Activité"] == ["Atelier de lancement"]
    assert french["Indicateur"] == ["Jeunes formés"]
    assert french["Commune"] == [commune.name_fr]
    assert french["Association chef de file"] == [association.name_fr]
    assert french["Thématiques"] == [themes[0].name_fr]
    assert f"{partner.name_fr} → {other.name_fr}" in french["Associations partenaires"]
    assert french["Signataire délégant"] == [officer.full_name]
    assert french["Délégué à"] == [agent.full_name]
    ids = {str(x) for x in (line.id, activity.id, indicator.id, commune.id, association.id,
                            partner.id, other.id, themes[0].id, officer.id, agent.id)}
    named = ("Ligne budgétaire", "Activité", "Indicateur", "Commune", "Association chef de file",
             "Thématiques", "Associations partenaires", "Signataire délégant", "Délégué à")
    shown = [part for label in named for text in french[label]
             for part in re.split(r" → |, ", text)]
    assert not [part for part in shown if part.strip("#") in ids], shown

    arabic = _history(client, agent, project, "ar")
    assert arabic["الجماعة"] == [commune.name_ar]
    assert arabic["الجمعية حاملة المشروع"] == [association.name_ar]
    assert arabic["المحاور"] == [themes[0].name_ar]
    assert f"{partner.name_ar} ← {other.name_ar}" in arabic["الجمعيات الشريكة"]

    db.session.expire_all()
    assert [(e.before, e.after, e.hash) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id)
        .order_by(AuditEvent.seq))] == stored
    assert verify_chain().intact


def test_an_id_whose_object_is_gone_reads_as_its_number(app, client, agent, commune,
                                                        association):
    project = make_project(agent, commune, association)
    record("expense.recorded", obj=project, project=project,
           after={"budget_line_id": 987654, "amount": "10.00", "activity_id": "987653",
                  "partner_ids": [association.id, 987652]})
    db.session.commit()
    shown = _history(client, agent, project, "fr")
    assert shown["Ligne budgétaire"] == ["#987654"]
    assert shown["Activité"] == ["#987653"]
    assert f"{association.name_fr}, #987652" in shown["Associations partenaires"]


def test_the_names_of_a_page_are_read_in_one_query_per_kind(app, client, agent, commune,
                                                            association, themes,
                                                            count_queries):
    project = complete(make_project(agent, commune, association), agent)
    line = project.budget_lines[0]
    for n in range(30):
        extra = make_association(commune, f"Partenaire {n}")
        record("expense.recorded", obj=project, project=project,
               after={"budget_line_id": line.id, "amount": "10.00",
                      "partner_ids": [extra.id], "theme_ids": [themes[n % len(themes)].id],
                      "activity_id": project.activities[0].id})
    db.session.commit()
    events = list(db.session.scalars(select(AuditEvent)
                                     .where(AuditEvent.project_id == project.id)))
    with app.test_request_context(), count_queries() as counter:
        names = referenced_names(events)
        rows = [changed_values(e, names=names) for e in events]
    # commune, association, theme, budget line, activity, indicator (complete's events)
    assert counter.count <= 6, counter.count
    assert len(names["association"]) == 31 and rows

    def page_queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/projects/{project.id}/tabs/history").status_code == 200
        return counter.count

    login(client, agent)
    page_queries()  # the first request of the session reads what later ones keep
    few = page_queries()
    for n in range(30):
        extra = make_association(commune, f"Suivant {n}")
        record("expense.recorded", obj=project, project=project,
               after={"budget_line_id": line.id, "partner_ids": [extra.id]})
    db.session.commit()
    page_queries()  # the test's commit expired the project its session shares with the app
    assert page_queries() == few


def test_the_audit_event_page_names_them_too(client, officer, agent, commune, association):
    project = complete(make_project(agent, commune, association), agent)
    line = project.budget_lines[0]
    event = record("expense.recorded", obj=project, project=project,
                   after={"budget_line_id": line.id, "amount": "10.00",
                          "lead_association_id": association.id})
    db.session.commit()
    officer.locale = "fr"
    db.session.commit()
    login(client, officer)
    page = client.get(f"/audit/events/{event.seq}").get_data(as_text=True)
    assert "Ateliers" in page and association.name_fr in page


def test_communes_name_a_list_of_ids_and_leave_a_count_alone(app, commune):
    granted = record("auditor.granted", after={"communes": [commune.id], "user": "a@b.ma"})
    with app.test_request_context():
        names = referenced_names([granted])
        assert value_words("communes", [commune.id], names) == commune.name
        assert value_words("communes", 414, names) == "414"  # the reference data's count
