"""fire(): permission, guards, comment, fields; history and audit together; refusals change
nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.notifications.models import Notification
from tadafur.workflow import services
from tadafur.workflow.models import SignOff, TransitionRecord
from tadafur.workflow.services import WorkflowError
from tests.factories import PASSWORD
from tests.workflow.conftest import act, deliberation, to_state


def _snapshot(project):
    db.session.refresh(project)
    return (project.state, project.version,
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(TransitionRecord)),
            db.session.scalar(select(func.count()).select_from(SignOff)))


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


def test_start_records_workflow_and_first_history_entry(project, agent):
    assert (project.workflow_name, project.workflow_version, project.state) == (
        "co_creation", 1, "draft")
    [entry] = services.history(project)
    assert (entry.seq, entry.trigger, entry.from_state, entry.to_state) == (
        1, "start", None, "draft")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "project.workflow_started", AuditEvent.project_id == project.id))
    assert event is not None and event.actor_id == agent.id


def test_fire_writes_state_history_and_audit_together(project, people):
    to_state(project, "submitted", **people)
    version = project.version
    act(people["officer"], project, "declare_eligible", comment="Complete file")
    assert project.state == "selection"
    assert project.version == version + 1
    last = services.history(project)[-1]
    assert (last.trigger, last.from_state, last.to_state, last.comment) == (
        "declare_eligible", "submitted", "selection", "Complete file")
    assert last.actor_id == people["officer"].id
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert event.action == "project.declare_eligible"
    assert '"state":"selection"' in event.after and '"state":"submitted"' in event.before
    assert verify_chain().intact


def test_refused_fire_changes_nothing(project, people):
    to_state(project, "submitted", **people)
    before = _snapshot(project)
    with pytest.raises(WorkflowError) as refused:
        services.fire(people["agent"], project, "declare_eligible")
    assert "not allowed" in refused.value.message
    assert _snapshot(project) == before


def test_trigger_from_the_wrong_state_is_refused(project, people):
    before = _snapshot(project)
    with pytest.raises(WorkflowError, match="not possible while the project is at the stage"):
        services.fire(people["officer"], project, "resume", comment="x")
    assert _snapshot(project) == before


def test_ministry_reviewer_never_acts(project, people, reviewer):
    to_state(project, "submitted", **people)
    assert services.available_actions(reviewer, project) == []
    with pytest.raises(WorkflowError):
        services.fire(reviewer, project, "declare_eligible")
    assert project.state == "submitted"


def test_outsiders_cannot_act(project, people, outsider_agent, outsider_member):
    to_state(project, "council_deliberation", **people)
    for outsider in (outsider_agent, outsider_member):
        assert services.available_actions(outsider, project) == []
        with pytest.raises(WorkflowError):
            services.fire(outsider, project, "record_deliberation", data=deliberation())


def test_request_changes_needs_a_comment_and_goes_back_to_draft(project, people):
    to_state(project, "submitted", **people)
    with pytest.raises(WorkflowError) as refused:
        services.fire(people["officer"], project, "request_changes", comment="  ")
    assert refused.value.field == "comment"
    act(people["officer"], project, "request_changes", comment="Budget too vague")
    assert project.state == "draft"
    kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.project_id == project.id)))
    assert "changes_requested" in kinds


def test_back_in_draft_the_endorsement_must_be_given_again(project, people):
    to_state(project, "submitted", **people)
    act(people["officer"], project, "request_changes", comment="Budget too vague")
    with pytest.raises(WorkflowError, match="Waiting for the sign-off"):
        services.fire(people["agent"], project, "submit")
    assert "submit" not in {a.trigger for a in services.available_actions(people["agent"],
                                                                          project)}


def test_submit_needs_a_complete_proposal(make_project, people):
    from tadafur.workflow.guards import GUARDS

    project = make_project(complete=False)
    refusal = GUARDS["proposal_complete"].refusal(project)
    assert "not complete" in refusal and "a summary" in refusal
    assert "at least one indicator with a baseline and a target" in refusal
    with pytest.raises(WorkflowError):
        services.fire(people["agent"], project, "submit")
    assert project.state == "draft"


def test_an_incomplete_proposal_cannot_be_endorsed_and_says_what_is_missing(
        make_project, people):
    """Issue 17: both signatories endorsed a proposal without activity, then the submission
    was refused and adding the activity voided their signatures."""
    project = make_project(complete=False)
    [offered] = [a for a in services.available_actions(people["president"], project)
                 if a.kind == "signoff"]
    assert offered.blocked
    wheres = {(m.where, m.anchor) for m in offered.missing}
    assert ("plan", "activity-form") in wheres and ("plan", "indicator-form") in wheres
    assert ("edit", "summary") in wheres
    assert services.awaited(people["president"]) == []  # not listed in My tasks
    with pytest.raises(WorkflowError, match="cannot be signed yet"):
        services.fire(people["president"], project, "signoff:endorsement",
                      password=PASSWORD, data={"decision": "approve"})
    assert services.signoffs(project) == []


def test_recorded_fields_are_validated_and_stored(project, people):
    to_state(project, "council_deliberation", **people)
    bad = dict(deliberation(), vote_for="many")
    with pytest.raises(WorkflowError) as refused:
        services.fire(people["agent"], project, "record_deliberation", data=bad)
    assert refused.value.field == "vote_for"
    missing = {k: v for k, v in deliberation().items() if k != "session_date"}
    with pytest.raises(WorkflowError) as refused:
        services.fire(people["agent"], project, "record_deliberation", data=missing)
    assert refused.value.field == "session_date"
    act(people["agent"], project, "record_deliberation", data=deliberation())
    assert services.history(project)[-1].data == {
        "session_date": today().isoformat(), "session_number": "12/2026", "vote_for": 21,
        "vote_against": 2, "vote_abstain": 1}


def test_large_public_contribution_needs_the_convention_path(make_project, people):
    project = make_project(public=Decimal("50000.01"))
    to_state(project, "decision", **people)
    with pytest.raises(WorkflowError, match="convention path is required"):
        services.fire(people["officer"], project, "approve_by_decision", comment="ok")
    assert project.state == "decision"


def test_small_public_contribution_may_take_the_simple_decision_path(make_project, people):
    project = make_project(public=Decimal("50000"))
    to_state(project, "decision", **people)
    act(people["officer"], project, "approve_by_decision", comment="Small project")
    assert project.state == "in_execution"


def test_complete_needs_every_activity_done_or_closed_with_a_reason(project, people):
    to_state(project, "in_execution", **people)
    first, second = project.activities
    first.status = "done"
    second.status = "closed"
    db.session.flush()
    with pytest.raises(WorkflowError, match="Still open: Activité 2"):
        services.fire(people["agent"], project, "complete")
    second.closing_reason = "Replaced by a municipal event"
    db.session.flush()
    act(people["member"], project, "complete")
    assert project.state == "final_report"


def test_suspend_resume_and_terminate(project, people):
    to_state(project, "in_execution", **people)
    with pytest.raises(WorkflowError):
        services.fire(people["officer"], project, "suspend")
    act(people["officer"], project, "suspend", comment="Audit pending")
    assert "resume" in {a.trigger for a in services.available_actions(people["officer"],
                                                                       project)}
    act(people["officer"], project, "resume", comment="Audit done")
    act(people["officer"], project, "terminate", comment="Association dissolved")
    assert project.state == "terminated"
    assert services.available_actions(people["officer"], project) == []
    with pytest.raises(WorkflowError):
        services.fire(people["officer"], project, "resume", comment="x")


def test_due_date_and_overdue_flag(project):
    import datetime as dt

    assert services.due_at(project) == project.state_entered_at + dt.timedelta(days=90)
    assert not services.is_overdue(project)
    project.state_entered_at -= dt.timedelta(days=91)
    assert services.is_overdue(project)


def test_phase_and_labels(project):
    assert services.phase_of(project) == "proposal"
    assert services.state_label("convention_signature") == "Convention signature"
    assert services.phase_label("follow_up") == "Follow-up"
    assert services.is_editable(project)
