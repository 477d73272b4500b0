"""The audit event page and the CSV export name an event's object as a reader knows it (a
budget line by its description, an activity by its title, a commune in the reader's
language, a person by name...), not by its database id: "Budget line No. 12" only once the
object is gone. The CSV keeps object_type and object_id as recorded, in their own columns;
the names are read one query per kind for a whole batch of events."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from tadafur.audit import wording
from tadafur.audit.models import AuditEvent
from tadafur.audit.services import record, verify_chain
from tadafur.audit.wording import object_words, referenced_names
from tadafur.execution.models import ActivityProgress, Expense, IndicatorValue, Tranche
from tadafur.extensions import db
from tadafur.vocabulary import OBJECT_TYPES, label
from tests.factories import login, make_association
from tests.projects.conftest import complete, make_project


def _project(agent, commune, association):
    project = complete(make_project(agent, commune, association), agent)
    db.session.commit()
    return project


def _event(project, object_type: str) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.project_id == project.id,
                                                      AuditEvent.object_type == object_type)
                             .order_by(AuditEvent.seq.desc()).limit(1))


def _page(client, user, seq: int, language: str) -> str:
    user.locale = language
    db.session.commit()
    login(client, user)
    response = client.get(f"/audit/events/{seq}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_event_page_names_its_object(client, officer, agent, commune, association):
    project = _project(agent, commune, association)
    line = project.budget_lines[0]
    event = _event(project, "budget_line")
    page = _page(client, officer, event.seq, "fr")
    assert "Ligne budgétaire : Ateliers" in page
    assert f"n° {line.id}" not in page

    renamed = record("commune.updated", obj=commune, commune_id=commune.id)
    db.session.commit()
    assert commune.name_ar in _page(client, officer, renamed.seq, "ar")
    assert commune.name_fr in _page(client, officer, renamed.seq, "fr")


def test_objects_read_by_name_in_one_query_per_kind(app, agent, officer, commune,
                                                    association, count_queries):
    project = _project(agent, commune, association)
    other = make_association(commune, "Relais")
    events = [
        _event(project, "budget_line"), _event(project, "activity"),
        _event(project, "indicator"), _event(project, "project"),
        record("association.updated", obj=other, commune_id=commune.id),
        record("commune.updated", obj=commune, commune_id=commune.id),
        record("user.updated", obj=officer),
        record("budget_line.deleted", object_type="budget_line", object_id=987654,
               project=project),
    ]
    db.session.commit()
    seqs, reference = [e.seq for e in events], project.reference
    events = sorted(db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs))),
                    key=lambda e: seqs.index(e.seq))
    with app.test_request_context(), count_queries() as counter:
        names = referenced_names(events, values=False, objects=True)
        words = [object_words(e, reference, names) for e in events]
    # budget line, activity, indicator, project, association, commune, user
    assert counter.count <= 7, counter.count
    assert words == [
        "Budget line: Ateliers", "Activity: Atelier de lancement", "Indicator: Jeunes formés",
        f"Project {project.reference}", f"Association: {other.name_fr}",
        f"Commune: {commune.name_en or commune.name_fr}", f"User account: {officer.full_name}",
        "Budget line No. 987654"]  # gone: its number is all the event has left
    assert verify_chain().intact


def test_the_csv_names_the_object_and_keeps_its_codes(client, officer, agent, commune,
                                                      association, count_queries):
    project = _project(agent, commune, association)
    line = project.budget_lines[0]
    record("association.updated", obj=association, project=project)
    db.session.commit()
    login(client, officer)

    def export(language: str) -> tuple[list[list[str]], int]:
        with count_queries() as counter:
            text = client.get(f"/audit/export.csv?project={project.id}&lang={language}"
                              ).get_data(as_text=True)
        return list(csv.reader(io.StringIO(text))), counter.count

    export("fr")  # the first request of the session reads what later ones keep
    rows, few = export("fr")
    header = rows[0]
    assert header[5] == "Objet"
    mine = [r for r in rows[1:] if r[header.index("object_type")] == "budget_line"]
    assert mine and all(r[header.index("object_id")] == str(line.id) for r in mine)
    assert {r[5] for r in mine} == {"Ligne budgétaire : Ateliers"}

    extras = {}
    for n in range(20):  # more events, each about another association
        extra = make_association(commune, f"Partenaire {n}")
        extras[str(extra.id)] = extra.name_ar
        record("association.updated", obj=extra, project=project)
    db.session.commit()
    export("ar")  # the test's commit expired what the app's session shares with it
    rows, many = export("ar")
    assert many == few
    header = rows[0]
    named = {r[header.index("object_id")]: r[5] for r in rows[1:]
             if r[header.index("object_type")] == "association"}
    named.pop(str(association.id))
    assert named.keys() == extras.keys()
    assert all(words.endswith(extras[key]) and "رقم" not in words
               for key, words in named.items()), named


def test_every_kind_of_object_is_read_by_one_query_that_runs(app, count_queries):
    """Each kind's query (some join the table holding the name) runs on this database; an
    object that no longer exists has no name, so it reads as its number."""
    assert set(wording.OBJECT_KINDS) <= set(OBJECT_TYPES)
    kinds = set(wording.OBJECT_KINDS.values())
    assert kinds <= set(wording._REFERENTS) | {"delegation"}
    events = [AuditEvent(object_type=object_type, object_id="987654")
              for object_type in wording.OBJECT_KINDS]
    with app.test_request_context(), count_queries() as counter:
        names = referenced_names(events, values=False, objects=True)
        words = [object_words(e, None, names) for e in events]
    assert counter.count == len(kinds)
    assert all(word.endswith("No. 987654") for word in words), words


def test_execution_records_read_by_what_they_are_about(app, agent, commune, association):
    """An expense by its description, a tranche by its funder and date, a progress report
    by its activity's title, an indicator's value by the indicator's name."""
    project = _project(agent, commune, association)
    line, activity = project.budget_lines[0], project.activities[0]
    indicator = project.indicators[0]
    day = dt.date(2026, 4, 1)
    rows = [Expense(project_id=project.id, budget_line_id=line.id, amount=Decimal("10"),
                    spent_on=day, description="Location de salle"),
            Tranche(project_id=project.id, funder="programme", amount=Decimal("100"),
                    planned_on=day),
            ActivityProgress(project_id=project.id, activity_id=activity.id, percent=50,
                             reported_on=day),
            IndicatorValue(project_id=project.id, indicator_id=indicator.id,
                           period_start=day, period_end=day, total=Decimal("3"))]
    db.session.add_all(rows)
    db.session.flush()
    events = [record("execution.recorded", obj=row, project=project) for row in rows]
    db.session.commit()
    with app.test_request_context(), force_locale("fr"):
        names = referenced_names(events, values=False, objects=True)
        words = [object_words(e, None, names) for e in events]
        funder = label("funder", "programme")
    assert words[0] == "Dépense : Location de salle"
    assert words[1].startswith(f"Tranche : {funder} · ") and "2026" in words[1]
    assert words[2].endswith(": Atelier de lancement")
    assert words[3].endswith(": Jeunes formés")


def test_a_message_a_photo_and_a_background_task_read_by_what_they_are(app, agent, commune,
                                                                      association):
    """A message by its author and day, a published photo by its caption (its file's name
    without one), a background task by what it does: not 'Message No. 7'."""
    from tadafur.execution.models import Attachment
    from tadafur.jobs.models import Job
    from tadafur.jobs.registry import kind_label
    from tadafur.projects.discussion import post_message
    from tadafur.showcase.models import PublicPhoto

    project = _project(agent, commune, association)
    message = post_message(agent, project, "Bonjour à tous")
    files = [Attachment(project_id=project.id, stored_name=f"s{n}", display_name=f"atelier-{n}.jpg",
                        content_type="image/jpeg", size=10, sha256="0" * 64) for n in (1, 2)]
    db.session.add_all(files)
    db.session.flush()
    photos = [PublicPhoto(project_id=project.id, attachment_id=files[0].id, stored_name="w1",
                          width=1, height=1, size=1, caption="Atelier des jeunes"),
              PublicPhoto(project_id=project.id, attachment_id=files[1].id, stored_name="w2",
                          width=1, height=1, size=1)]
    job = Job(kind="mail.send", project_id=project.id)
    db.session.add_all([*photos, job])
    db.session.flush()
    events = [_event(project, "project_message"),
              *(record("photo.published", obj=photo, project=project) for photo in photos),
              record("job.retried", object_type="job", object_id=job.id, project=project)]
    db.session.commit()
    assert events[0].object_id == str(message.id)
    with app.test_request_context(), force_locale("fr"):
        names = referenced_names(events, values=False, objects=True)
        words = [object_words(e, None, names) for e in events]
        mail = kind_label("mail.send")
    assert words[0].startswith(f"Message : {agent.full_name} · ") and "2026" in words[0]
    assert words[1:] == ["Photo publiée : Atelier des jeunes", "Photo publiée : atelier-2.jpg",
                         f"Tâche d'arrière-plan : {mail}"]
    assert mail != "mail.send"
