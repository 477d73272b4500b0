"""Delegation of sign-off: granted within the organisation, used with both names recorded,
refused once expired or revoked, never passed on, every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tadafur.accounts.models import Role
from tadafur.audit.models import AuditEvent
from tadafur.delegations import services
from tadafur.delegations.models import Delegation
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.notifications.models import Notification
from tadafur.workflow import services as workflow
from tadafur.workflow.models import SignOff
from tests.factories import PASSWORD, make_user
from tests.workflow.conftest import act, build_project, to_state


@pytest.fixture(autouse=True)
def document_doubles(monkeypatch):
    """The fake convention (as in the workflow tests): these tests are about who signs."""
    from tadafur.workflow import hooks
    from tests.workflow import doubles

    doubles.FAKE_DOCUMENTS.clear()
    monkeypatch.setattr(hooks, "DOCUMENT_PRODUCERS",
                        {"convention": doubles.fake_convention_producer})
    monkeypatch.setattr(hooks, "DOCUMENT_LOOKUP", [doubles.fake_lookup])
    monkeypatch.setattr(hooks, "GATE_COMPLETED", [])


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


@pytest.fixture
def project(commune, association, agent):
    return build_project(commune, association, agent)


def _grant(delegator, delegate, *, start=None, end=None, projects=None, reason="Congé"):
    delegation = services.grant(
        delegator, membership_id=delegator.memberships[0].id, delegate_id=delegate.id,
        starts_on=start or today(), ends_on=end or today() + dt.timedelta(days=10), reason=reason,
        project_ids=projects)
    db.session.commit()
    return delegation


def _actions(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_delegate_signs_within_the_mandate_and_both_names_are_recorded(project, chair,
                                                                        member, president):
    delegation = _grant(chair, member)
    assert "signoff:endorsement" in [a.trigger for a in
                                     workflow.available_actions(member, project)]
    act(member, project, "signoff:endorsement")
    signoff = db.session.scalar(select(SignOff).where(SignOff.project_id == project.id))
    assert (signoff.user_id, signoff.on_behalf_of_id, signoff.delegation_id, signoff.party) \
        == (member.id, chair.id, delegation.id, "association")
    [used] = _actions("delegation.used")
    assert used.object_id == str(delegation.id) or used.object_id == delegation.id
    [given] = _actions("signoff.given")
    assert chair.full_name in given.after and str(delegation.id) in given.after


def test_a_delegate_cannot_sign_after_the_mandate_expired(project, chair, member):
    delegation = _grant(chair, member)
    delegation.ends_on = today() - dt.timedelta(days=1)  # time passed
    delegation.starts_on = today() - dt.timedelta(days=5)
    db.session.commit()
    db.session.expire(member, ["received_delegations"])
    assert workflow.available_actions(member, project) == [] or all(
        a.kind != "signoff" for a in workflow.available_actions(member, project))
    with pytest.raises(workflow.WorkflowError, match="not valid now"):
        workflow.fire(member, project, "signoff:endorsement", password=PASSWORD)
    assert db.session.scalar(select(func.count()).select_from(SignOff)) == 0


def test_a_revoked_delegation_stops_at_once(project, chair, member):
    delegation = _grant(chair, member)
    services.revoke(chair, delegation)
    db.session.commit()
    with pytest.raises(workflow.WorkflowError, match="not valid now"):
        workflow.fire(member, project, "signoff:endorsement", password=PASSWORD)
    assert len(_actions("delegation.revoked")) == 1
    with pytest.raises(services.DelegationError, match="already revoked"):
        services.revoke(chair, delegation)


def test_a_delegation_limited_to_some_projects_does_not_reach_the_others(
        project, commune, association, agent, chair, member):
    other = build_project(commune, association, agent)
    _grant(chair, member, projects=[other.id])
    assert all(a.kind != "signoff" for a in workflow.available_actions(member, project))
    assert any(a.kind == "signoff" for a in workflow.available_actions(member, other))


def test_a_delegate_cannot_delegate_again(chair, member, association):
    _grant(chair, member)
    colleague = make_user(Role.ASSOCIATION_MEMBER, association)
    with pytest.raises(services.DelegationError, match="cannot be delegated again"):
        services.grant(member, membership_id=member.memberships[0].id,
                       delegate_id=colleague.id, starts_on=today(),
                       ends_on=today() + dt.timedelta(days=3), reason="x")


def test_only_members_of_the_same_organisation_can_be_delegates(chair, outsider_member):
    with pytest.raises(services.DelegationError, match="same organisation") as refused:
        services.grant(chair, membership_id=chair.memberships[0].id,
                       delegate_id=outsider_member.id, starts_on=today(),
                       ends_on=today() + dt.timedelta(days=3), reason="x")
    assert refused.value.field == "delegate_id"


@pytest.mark.parametrize(("start", "end", "reason", "field"), [
    (0, -1, "x", "ends_on"), (-10, -2, "x", "ends_on"), (0, 400, "x", "ends_on"),
    (0, 3, "  ", "reason"),
])
def test_bad_periods_and_missing_reasons_are_refused(chair, member, start, end, reason,
                                                     field):
    with pytest.raises(services.DelegationError) as refused:
        services.grant(chair, membership_id=chair.memberships[0].id, delegate_id=member.id,
                       starts_on=today() + dt.timedelta(days=start),
                       ends_on=today() + dt.timedelta(days=end), reason=reason)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 0


def test_grant_is_audited_and_the_delegate_told(chair, member):
    delegation = _grant(chair, member)
    [granted] = _actions("delegation.granted")
    assert str(member.id) in granted.after and "Congé" in granted.after
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == member.id, Notification.kind == "delegation")) is not None
    assert delegation.status == "active"


def test_expiry_is_audited_once(app, chair, member):
    delegation = _grant(chair, member)
    delegation.starts_on, delegation.ends_on = (today() - dt.timedelta(days=9),
                                                today() - dt.timedelta(days=1))
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["delegations", "expire"])
    assert "1 delegation(s) expired" in first.output, first.output
    second = runner.invoke(args=["reminders"])
    assert "expired" not in second.output
    assert len(_actions("delegation.expired")) == 1
    assert delegation.status == "expired"


def test_my_tasks_show_the_delegate_the_delegators_sign_offs(project, chair, member):
    _grant(chair, member)
    tasks = [t for t in workflow.awaited(member) if t.action.kind == "signoff"]
    assert [t.project.id for t in tasks] == [project.id]
    assert tasks[0].on_behalf_of == chair.full_name


def test_my_tasks_of_a_delegate_take_a_fixed_number_of_queries(
        commune, association, agent, chair, member, count_queries):
    _grant(chair, member)
    build_project(commune, association, agent)
    db.session.expire_all()
    with count_queries() as few:
        workflow.awaited(member)
    for _ in range(4):
        build_project(commune, association, agent)
    db.session.expire_all()
    with count_queries() as many:
        assert len([t for t in workflow.awaited(member) if t.action.kind == "signoff"]) == 5
    assert many.count <= few.count


def test_overdue_sign_offs_remind_signatory_and_delegate_then_escalate(app, project, people):
    _grant(people["chair"], people["member"])
    act(people["president"], project, "signoff:endorsement")
    project.state_entered_at -= dt.timedelta(days=91)  # draft may last 90 days
    db.session.commit()

    def kinds(kind):
        return {n.user_id for n in db.session.scalars(select(Notification).where(
            Notification.project_id == project.id, Notification.kind == kind))}

    workflow.send_reminders()
    assert {people["chair"].id, people["member"].id} <= kinds("overdue")
    assert kinds("escalated") == set()
    project.state_entered_at -= dt.timedelta(days=90)  # now twice the due days
    db.session.commit()
    workflow.send_reminders()
    assert kinds("escalated") == {people["officer"].id}
    workflow.send_reminders()
    assert len(list(db.session.scalars(select(Notification).where(
        Notification.kind == "escalated")))) == 1


def test_delegated_sign_off_reaches_the_convention_gate(project, people, commune):
    """A delegate of the commune's president signs the convention for the commune."""
    deputy = make_user(Role.COMMUNE_AGENT, commune)
    _grant(people["president"], deputy)
    to_state(project, "convention_signature", **people)
    act(deputy, project, "signoff:convention")
    signoff = db.session.scalar(select(SignOff).where(SignOff.gate == "convention"))
    assert signoff.on_behalf_of_id == people["president"].id and signoff.party == "commune"


@pytest.mark.real_pdfs
def test_both_names_show_in_the_sign_offs_tab_and_the_sign_off_record_pdf(
        client, project, chair, member, tmp_path):
    from tadafur.documents import services as documents
    from tests.documents.conftest import pdf_text
    from tests.factories import login

    delegation = _grant(chair, member)
    act(member, project, "signoff:endorsement")
    login(client, chair)
    tab = client.get(f"/projects/{project.id}/tabs/signoffs", headers={"HX-Request": "true"})
    assert f"for {chair.full_name}, under delegation No. {delegation.id}" in tab.text
    record = documents.produce(project, documents.SIGNOFF_RECORD, member, "fr")
    text = pdf_text(documents.stored_bytes(record), tmp_path)
    assert member.full_name in text
    # (the record's fixed columns wrap this line; pdftotext may put a header between)
    assert f"Pour {chair.full_name}, par" in text
    assert f"délégation n° {delegation.id}" in text
