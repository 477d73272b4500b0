"""Two people propose amendments touching the same budget line at the same moment: the
project row lock lets one in; the other is told an amendment is already open on it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tadafur.accounts.models import User
from tadafur.amendments import services
from tadafur.amendments.models import Amendment, AmendmentLock
from tadafur.extensions import db
from tadafur.projects.models import Project
from tests.workflow.conftest import build_project


@pytest.mark.committing
def test_simultaneous_amendments_on_the_same_line_never_both_open(app, agent, member, commune,
                                                                  association, dialect):
    project = build_project(commune, association, agent)
    project.state = "in_execution"
    db.session.commit()
    project_id = project.id
    line_id = project.budget_lines[0].id
    db.session.rollback()
    people = {agent.id: "41000", member.id: "39000"}
    barrier = threading.Barrier(len(people))
    outcomes: dict[int, str] = {}

    def propose(user_id: int, amount: str) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Project, project_id)
                barrier.wait(timeout=10)
                services.propose(user, target, "Réallocation.", services.Proposal(
                    lines={line_id: {"amount": amount}}))
                db.session.commit()
                outcomes[user_id] = "opened"
            except services.AmendmentError:
                db.session.rollback()
                outcomes[user_id] = "refused"
            except OperationalError:  # SQLite: the database was locked by the other writer
                db.session.rollback()
                outcomes[user_id] = "busy"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=propose, args=item) for item in people.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()).count("opened") == 1, outcomes
    if dialect == "postgresql":
        assert sorted(outcomes.values()) == ["opened", "refused"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Amendment)) == 1
    assert db.session.scalar(select(func.count()).select_from(AmendmentLock)) == 1
