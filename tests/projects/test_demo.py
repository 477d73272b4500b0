"""The demo projects: every state of the workflow, walked there through the real services."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import func, select

from tadafur.audit.services import verify_chain
from tadafur.demo.seed import seed_demo
from tadafur.execution import attachments as files, services as statements
from tadafur.execution.demo import tiny_png
from tadafur.execution.models import Attachment, IndicatorValue, Tranche
from tadafur.extensions import db
from tadafur.projects.demo import DEMO_PROJECTS
from tadafur.projects.models import Message, Project
from tadafur.showcase.models import Replication
from tadafur.workflow import awaiting, services as workflow
from tadafur.workflow.models import AwaitedAction, SignOff, StateCount
from tests.demo_snapshot import reference_rows, remember_demo


def test_demo_projects_cover_every_state_with_genuine_history_and_are_seeded_once():
    # The demo's documents are composed, sealed and registered as `make run` does, laid out
    # as one line like every test's (tests/pdfs.py; the gallery lays out every kind).
    reference = reference_rows()  # the demo starts from an empty database (tests/conftest.py)
    seed_demo()
    remember_demo(reference)  # the other tests over the demo copy this seed (tests/demo_snapshot)
    # The showcase's demo starts one more draft from a closed project (a replication).
    replicated = select(Replication.project_id)
    projects = list(db.session.scalars(select(Project).where(Project.id.not_in(replicated))))
    assert len(projects) == len(DEMO_PROJECTS)
    definition = workflow.registry().latest("co_creation")
    assert {p.state for p in projects} == set(definition.states)
    assert len({p.commune_id for p in projects}) == 10
    for project in projects:
        steps = workflow.history(project)
        assert steps[0].trigger == "start" and steps[-1].to_state == project.state
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(steps))
    closed = next(p for p in projects if p.state == "closed")
    gates = {s.gate for s in db.session.scalars(select(SignOff).where(
        SignOff.project_id == closed.id))}
    assert gates == {"endorsement", "convention", "report_validation", "joint_evaluation"}
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2 * len(projects)
    assert db.session.scalar(select(func.count()).select_from(Replication)) == 1
    assert verify_chain().intact
    # My tasks' table and the counts per state, recomputed once at the end of the seed, are
    # what recomputing everything from scratch gives.
    seeded = _my_tasks_and_counts()
    awaiting.rebuild(db.session())
    assert seeded == _my_tasks_and_counts() and seeded[0]
    counts = _execution_records_of_the_demo()
    assert seed_demo() == 0
    assert _record_counts() == counts  # seeded once: nothing recorded twice


def _my_tasks_and_counts() -> tuple[list, list]:
    rows = db.session.execute(select(
        AwaitedAction.project_id, AwaitedAction.party, AwaitedAction.organisation_id,
        AwaitedAction.role, AwaitedAction.triggers, AwaitedAction.due_at).order_by(
        AwaitedAction.project_id, AwaitedAction.party, AwaitedAction.role)).all()
    states = db.session.execute(select(StateCount.commune_id, StateCount.state, StateCount.n)
                                .where(StateCount.n != 0)
                                .order_by(StateCount.commune_id, StateCount.state)).all()
    return [tuple(r) for r in rows], [tuple(r) for r in states]


def _execution_records_of_the_demo() -> list[int]:
    """The project in execution has tranches, expenses, indicator values and a stored
    evidence file (checked here, over the same seed, rather than seeding the demo again)."""
    running = db.session.scalar(select(Project).where(Project.state == "in_execution"))
    statement = statements.budget_statement(running)
    assert statement.disbursed > 0 and statement.spent > 0
    assert statement.funder("programme").disbursed == statement.funder("programme").planned
    results = statements.indicator_results(running)
    assert results[0].counts_people and results[0].achieved == Decimal(72)
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.project_id == running.id))
    data = files.read(attachment.stored_name)
    assert files.sniff(data).content_type == "application/pdf"
    assert data.rstrip().endswith(b"%%EOF") and files.sha256_of(data) == attachment.sha256
    assert files.sniff(tiny_png()).content_type == "image/png"
    counts = _record_counts()
    assert all(counts)
    return counts


def _record_counts() -> list[int]:
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (Tranche, IndicatorValue, Attachment)]
