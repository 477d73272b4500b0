"""Sign-offs: password again, hash of what was signed, invalidation on edits, gates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.notifications.models import Notification
from tadafur.workflow import hooks, services
from tadafur.workflow.models import SignOff
from tadafur.workflow.services import WorkflowError
from tests.factories import PASSWORD
from tests.workflow.conftest import act, to_state
from tests.workflow.doubles import FAKE_DOCUMENTS


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signoff_needs_the_password_again(project, president):
    for wrong in (None, "", "not the password"):
        with pytest.raises(WorkflowError) as refused:
            services.fire(president, project, "signoff:endorsement", password=wrong)
        assert refused.value.field == "password"
    assert services.signoffs(project) == []


def test_signoff_stores_party_decision_and_hash_of_the_content(project, president):
    expected = services.content_hash(project)
    act(president, project, "signoff:endorsement", comment="Lu et approuvé")
    [signoff] = services.signoffs(project)
    assert (signoff.party, signoff.user_id, signoff.decision, signoff.comment) == (
        "commune", president.id, "approve", "Lu et approuvé")
    assert signoff.signed_hash == expected and signoff.subject == "content"
    assert signoff.valid and signoff.signed_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signoff.given"))
    assert expected in event.after


def test_only_signatories_sign_and_each_party_once(project, agent, member, president):
    for user in (agent, member):
        assert "signoff:endorsement" not in {
            a.trigger for a in services.available_actions(user, project)}
        with pytest.raises(WorkflowError):
            services.fire(user, project, "signoff:endorsement", password=PASSWORD)
    act(president, project, "signoff:endorsement")
    with pytest.raises(WorkflowError, match="already signed"):
        services.fire(president, project, "signoff:endorsement", password=PASSWORD)
    assert len(services.signoffs(project)) == 1


def test_refusal_needs_a_comment_and_does_not_complete_the_gate(project, president, chair):
    with pytest.raises(WorkflowError) as refused:
        services.fire(president, project, "signoff:endorsement", password=PASSWORD,
                      data={"decision": "reject"})
    assert refused.value.field == "comment"
    act(president, project, "signoff:endorsement", data={"decision": "reject"},
        comment="Le budget doit être revu")
    act(chair, project, "signoff:endorsement")
    status = services.gate_status(project)
    assert not status.complete and status.missing == ("commune",)
    assert "commune" in status.rejections
    act(president, project, "signoff:endorsement")  # changes its mind: approves
    assert services.gate_status(project).complete


def test_editing_content_invalidates_pending_signoffs_audited_and_notified(
        project, president, chair, agent):
    act(president, project, "signoff:endorsement")
    old_hash = services.content_hash(project)
    project.summary = "Un autre résumé"
    services.content_changed(project, agent)
    db.session.commit()
    [signoff] = services.signoffs(project)
    assert not signoff.valid and signoff.invalidated_at is not None
    assert signoff.signed_hash == old_hash != services.content_hash(project)
    assert project.content_version == 2
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "signoff.invalidated"))
    assert event is not None and event.object_id == str(signoff.id)
    told = db.session.scalars(select(Notification).where(
        Notification.kind == "sign_again", Notification.project_id == project.id)).all()
    assert [n.user_id for n in told] == [president.id]
    # the commune must sign again: the chair's sign-off alone does not complete the gate
    act(chair, project, "signoff:endorsement")
    assert services.gate_status(project).missing == ("commune",)
    act(president, project, "signoff:endorsement")
    assert services.gate_status(project).complete
    assert verify_chain().intact


def test_content_edit_without_content_changed_still_voids_the_signature(
        project, president, chair):
    act(president, project, "signoff:endorsement")
    act(chair, project, "signoff:endorsement")
    project.objectives = "Changé en douce"
    db.session.flush()
    assert not services.gate_status(project).complete


def test_convention_signoffs_bind_to_the_frozen_document(project, people):
    to_state(project, "convention_signature", **people)
    document = FAKE_DOCUMENTS[(project.id, "convention")]
    act(people["president"], project, "signoff:convention")
    [signoff] = [s for s in services.signoffs(project) if s.gate == "convention"]
    assert signoff.subject == "document:convention"
    assert signoff.signed_hash == document.sha256


def test_last_signoff_fires_the_transition_once_and_calls_gate_hooks(project, people):
    calls = []
    hooks.GATE_COMPLETED.append(lambda p, gate, actor: calls.append((p.id, gate, actor.id)))
    to_state(project, "convention_signature", **people)
    assert calls == [(project.id, "endorsement", people["chair"].id)]
    calls.clear()
    act(people["president"], project, "signoff:convention")
    act(people["officer"], project, "signoff:convention")
    assert project.state == "convention_signature" and calls == []
    act(people["chair"], project, "signoff:convention")
    assert project.state == "in_execution"
    assert calls == [(project.id, "convention", people["chair"].id)]
    entries = [h for h in services.history(project) if h.trigger == "sign_convention"]
    assert len(entries) == 1 and entries[0].actor_id == people["chair"].id
    assert _count(SignOff) == 2 + 3


def test_awaited_lists_my_signoffs(project, president, chair, agent):
    [task] = services.awaited(president)
    assert task.project.id == project.id and task.action.trigger == "signoff:endorsement"
    assert task.action.needs_password and not task.overdue
    act(president, project, "signoff:endorsement")
    assert services.awaited(president) == []
    assert services.awaited(agent) == []
    act(chair, project, "signoff:endorsement")
    assert [t.action.trigger for t in services.awaited(agent)] == ["submit"]


def test_fault_after_state_change_leaves_everything_as_before(project, people):
    to_state(project, "convention_signature", **people)
    act(people["president"], project, "signoff:convention")
    act(people["officer"], project, "signoff:convention")
    db.session.commit()
    before = (project.state, project.version, _count(SignOff), _count(AuditEvent),
              verify_chain().last_hash, len(services.history(project)))

    def explode(*_args):
        raise RuntimeError("disk full while sealing")

    # runs after the sign-off and audit rows are written, before the auto transition commits
    hooks.GATE_COMPLETED.append(explode)
    with pytest.raises(RuntimeError, match="disk full"):
        services.fire(people["chair"], project, "signoff:convention", password=PASSWORD)
    db.session.rollback()
    db.session.refresh(project)
    after = (project.state, project.version, _count(SignOff), _count(AuditEvent),
             verify_chain().last_hash, len(services.history(project)))
    assert after == before
    assert verify_chain().intact


def test_fault_in_the_audit_write_after_state_change_leaves_nothing(project, people, monkeypatch):
    to_state(project, "submitted", **people)
    before = (project.state, project.version, _count(AuditEvent), len(services.history(project)))
    import tadafur.workflow.services as module

    real_record = module.record

    def failing_record(action, **kwargs):
        if action == "project.declare_eligible":
            assert kwargs["project"].state == "selection"  # the state did change in memory
            raise RuntimeError("audit store unavailable")
        return real_record(action, **kwargs)

    monkeypatch.setattr(module, "record", failing_record)
    with pytest.raises(RuntimeError):
        services.fire(people["officer"], project, "declare_eligible")
    db.session.rollback()
    db.session.refresh(project)
    assert (project.state, project.version, _count(AuditEvent),
            len(services.history(project))) == before
