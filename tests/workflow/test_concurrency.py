"""On PostgreSQL: many people acting at once never fire a transition twice nor lose a sign-off."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tadafur.accounts.models import User
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.workflow import services
from tadafur.workflow.models import SignOff, TransitionRecord
from tadafur.workflow.services import WorkflowError
from tests.factories import PASSWORD
from tests.workflow.conftest import act, to_state

THREADS = 20


@pytest.mark.committing
def test_twenty_threads_race_for_the_last_two_signoffs(
        app, dialect, project, agent, president, chair, officer, member):
    if dialect != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) are a PostgreSQL matter")
    to_state(project, "convention_signature", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    act(officer, project, "signoff:convention")
    db.session.commit()
    project_id, signers = project.id, [president.id, chair.id]
    db.session.remove()

    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sign(user_id: int) -> None:
        barrier.wait(timeout=30)  # before touching the pool: 20 threads > pool size
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Project, project_id)
                services.fire(user, target, "signoff:convention", password=PASSWORD)
                db.session.commit()
                outcome = "signed"
            except WorkflowError:
                db.session.rollback()
                outcome = "refused"
            except Exception as error:  # reported, not swallowed
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=sign, args=(signers[i % 2],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused"] * (THREADS - 2) + ["signed"] * 2, outcomes
    project = db.session.get(Project, project_id)
    assert project.state == "in_execution"
    fired = db.session.scalar(select(func.count()).select_from(TransitionRecord).where(
        TransitionRecord.project_id == project_id, TransitionRecord.trigger == "sign_convention"))
    assert fired == 1
    parties = db.session.execute(select(SignOff.party, func.count()).where(
        SignOff.project_id == project_id, SignOff.gate == "convention")
        .group_by(SignOff.party)).all()
    assert dict(parties) == {"commune": 1, "association": 1, "programme": 1}
    assert verify_chain().intact
