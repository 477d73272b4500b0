"""Two people save the same proposal at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import OperationalError

from tadafur.accounts.models import User
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.projects import services
from tadafur.projects.models import Project
from tests.projects.conftest import make_project


@pytest.mark.committing
def test_simultaneous_saves_from_the_same_version_never_both_succeed(app, agent, member,
                                                                     commune, association,
                                                                     dialect):
    project = make_project(agent, commune, association)
    db.session.commit()
    project_id, version = project.id, project.version
    db.session.rollback()
    people = {agent.id: "Titre de la commune", member.id: "Titre de l'association"}
    barrier = threading.Barrier(len(people))
    outcomes: dict[int, str] = {}

    def save(user_id: int, title: str) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Project, project_id)
                barrier.wait(timeout=10)
                services.update_project(user, target, {"title_fr": title}, version)
                db.session.commit()
                outcomes[user_id] = "saved"
            except services.ProjectConflict:
                db.session.rollback()
                outcomes[user_id] = "conflict"
            except OperationalError:  # SQLite: the database was locked by the other writer
                db.session.rollback()
                outcomes[user_id] = "busy"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=item) for item in people.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()).count("saved") == 1, outcomes
    if dialect == "postgresql":
        assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(uid for uid, outcome in outcomes.items() if outcome == "saved")
    db.session.rollback()  # end this thread's read transaction: see what the others committed
    saved = db.session.get(Project, project_id)
    assert saved.title_fr == people[winner] and saved.version == version + 1
    assert verify_chain().intact


@pytest.mark.committing
def test_simultaneous_creations_get_distinct_references(app, agent, member, commune,
                                                        association, dialect):
    if dialect != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    db.session.commit()
    creators = [agent.id, member.id] * 3
    barrier = threading.Barrier(len(creators))
    references: list[str] = []
    errors: list[Exception] = []

    def create(user_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                project = make_project(user, commune, association)
                db.session.commit()
                references.append(project.reference)
            except Exception as error:  # reported below with the references obtained
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(uid,)) for uid in creators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(set(references)) == len(creators)
    numbers = sorted(int(r[-4:]) for r in references)
    assert numbers == list(range(1, len(creators) + 1))
    assert verify_chain().intact
