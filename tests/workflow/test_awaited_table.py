"""The awaited_action table (My tasks) follows every change of a project in the transaction
that makes it: transitions, sign-offs, content edits that make a guard pass or fail; a
rollback undoes both; delegations are matched when read; the page costs a fixed number of
statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tadafur.delegations import services as delegations
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects import dashboard
from tadafur.projects.models import Indicator, Project
from tadafur.projects.queries import state_counts
from tadafur.workflow import awaiting, counts, services
from tadafur.workflow.models import AwaitedAction
from tadafur.workflow.services import WorkflowError
from tadafur.workflow.tasks import awaited_page
from tests.factories import login
from tests.workflow.conftest import act, build_project, to_state


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


def _rows(project) -> dict[tuple[str, str], str]:
    """The committed table's rows of `project`: (party, role) -> triggers."""
    return {(r.party, r.role): r.triggers for r in db.session.scalars(
        select(AwaitedAction).where(AwaitedAction.project_id == project.id))}


def _in_step(project) -> None:
    """The table holds what the Python rules say now."""
    expected = {(r["party"], r["role"]): r["triggers"]
                for r in awaiting.rows_for(project, None)}
    assert _rows(project) == expected


def test_the_table_follows_sign_offs_and_transitions(project, make_project, people):
    db.session.commit()
    assert _rows(project) == {("commune", "commune_signatory"): "signoff:endorsement",
                              ("association", "association_signatory"): "signoff:endorsement"}
    act(people["president"], project, "signoff:endorsement")
    assert _rows(project) == {("association", "association_signatory"): "signoff:endorsement"}
    act(people["chair"], project, "signoff:endorsement")
    assert "submit" in _rows(project)[("commune", "commune_agent")]
    _in_step(project)
    act(people["agent"], project, "submit")
    assert _rows(project) == {("programme", "programme_officer"): "declare_eligible"}
    assert [t.action.trigger for t in services.awaited(people["officer"])] == \
        ["declare_eligible"]
    signing = make_project()
    to_state(signing, "convention_signature", **people)
    _in_step(signing)
    assert {party for party, _role in _rows(signing)} == {"commune", "association",
                                                         "programme"}


def test_a_content_edit_that_fails_then_passes_a_guard(project, people):
    db.session.commit()
    saved = [(i.level, i.name, i.unit, i.baseline, i.target) for i in project.indicators]
    project.indicators = []  # proposal_complete fails: the endorsement is blocked
    db.session.commit()
    assert _rows(project) == {}
    assert services.awaited(people["president"]) == []
    project.indicators = [Indicator(position=1, level=level, name=name, unit=unit,
                                    baseline=baseline, target=target)
                          for level, name, unit, baseline, target in saved]
    db.session.commit()
    assert [t.action.trigger for t in services.awaited(people["president"])] == \
        ["signoff:endorsement"]
    _in_step(project)


def test_a_rollback_leaves_the_table_as_it_was(project, people):
    db.session.commit()
    before = _rows(project)
    project.indicators = []
    db.session.flush()
    assert services.awaited(people["president"]) == []  # one's own uncommitted edit is seen
    db.session.rollback()
    assert _rows(project) == before
    assert [t.action.trigger for t in services.awaited(people["president"])] == \
        ["signoff:endorsement"]


def test_a_delegate_sees_only_the_projects_delegated(commune, association, people):
    first = build_project(commune, association, people["agent"])
    second = build_project(commune, association, people["agent"])
    db.session.commit()
    delegations.grant(people["chair"], membership_id=people["chair"].memberships[0].id,
                      delegate_id=people["member"].id, starts_on=utcnow().date(),
                      ends_on=utcnow().date() + dt.timedelta(days=5), reason="Congé",
                      project_ids=[second.id])
    db.session.commit()
    tasks = services.awaited(people["member"])
    assert [(t.project.id, t.action.trigger, t.on_behalf_of) for t in tasks] == [
        (second.id, "signoff:endorsement", people["chair"].full_name)]
    assert first.id not in {t.project.id for t in services.awaited(people["member"])}
    assert all(t.on_behalf_of is None for t in services.awaited(people["chair"]))


def test_read_only_and_unaffiliated_roles_have_no_tasks(project, reviewer, admin):
    db.session.commit()
    assert services.awaited(reviewer) == [] and services.awaited(admin) == []


def test_overdue_first_then_by_due_date(commune, association, people):
    late, soon, later = (build_project(commune, association, people["agent"])
                         for _ in range(3))
    late.state_entered_at -= dt.timedelta(days=95)  # draft lasts 90 days
    soon.state_entered_at -= dt.timedelta(days=30)
    db.session.commit()
    tasks = services.awaited(people["president"])
    assert [t.project.id for t in tasks] == [late.id, soon.id, later.id]
    assert [t.overdue for t in tasks] == [True, False, False]


def test_pages_of_my_tasks_are_plain_links(client, commune, association, people,
                                           monkeypatch):
    built = [build_project(commune, association, people["agent"]) for _ in range(3)]
    db.session.commit()
    monkeypatch.setattr(dashboard, "PER_PAGE", 2)
    login(client, people["president"])
    first = client.get("/").get_data(as_text=True)
    assert built[0].reference in first and built[2].reference not in first
    assert "tasks_page=2" in first
    second = client.get("/?tasks_page=2").get_data(as_text=True)
    assert built[2].reference in second and built[0].reference not in second
    assert "tasks_page=1" in second and "tasks_page=3" not in second
    page = awaited_page(people["president"], 2, 2)
    assert [t.project.id for t in page.tasks] == [built[2].id] and not page.has_next


def test_my_tasks_take_a_fixed_number_of_statements(commune, association, people,
                                                    count_queries):
    build_project(commune, association, people["agent"], public=Decimal("60000"))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as few:
        awaited_page(people["president"])
    for _ in range(4):
        build_project(commune, association, people["agent"])
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert len(awaited_page(people["president"]).tasks) == 5
    assert many.count <= few.count <= 7


def test_rebuild_recomputes_the_table(app, project, people):
    db.session.commit()
    before = _rows(project)
    db.session.execute(AwaitedAction.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["tasks", "rebuild"])
    assert "awaited action row(s) written" in result.output, result.output
    assert _rows(project) == before


def _programme_counts() -> dict[str, int]:
    awaiting.refresh_pending(db.session)
    return dict(counts.programme_counts(db.session))


def _recount() -> dict[str, int]:
    return dict(db.session.execute(select(Project.state, func.count()).group_by(Project.state))
                .all())


def test_counts_per_state_follow_moves_and_ignore_a_refused_transition(project, people):
    db.session.commit()
    assert _programme_counts() == _recount()
    act(people["president"], project, "signoff:endorsement")
    act(people["chair"], project, "signoff:endorsement")
    act(people["agent"], project, "submit")
    assert _programme_counts() == _recount() and _recount().get("submitted") == 1
    with pytest.raises(WorkflowError):  # a savepoint rolled back after moving nothing
        services.fire(people["agent"], project, "declare_eligible")
    db.session.commit()
    assert _programme_counts() == _recount()


def test_counts_drop_what_a_rolled_back_savepoint_flushed(project):
    db.session.commit()
    before = _programme_counts()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        project.state = "submitted"
        db.session.flush()
        raise RuntimeError("refused")
    db.session.commit()
    assert _programme_counts() == before == _recount()


def test_state_counts_of_the_programme_wide_roles_come_from_the_table(project, officer,
                                                                      agent):
    db.session.commit()
    assert state_counts(officer) == state_counts(agent) == [("draft", 1)]
