"""The notices table (tadafur/workflow/notices.py) walked: every event is raised by its flow
and reaches the audience the table names, in-app and by e-mail (issue 17: nobody was told
when a monitoring report or the final report was validated, when scoring opened, or when the
project closed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.extensions import db
from tadafur.notifications.models import KINDS, Notification
from tadafur.workflow import notices, services as workflow
from tests.factories import PASSWORD
from tests.reporting.conftest import FINAL, Q1, scores, validate_all, write_report


def _told(project, kind) -> set[int]:
    statement = select(Notification.user_id).where(Notification.kind == kind)
    if project is not None:
        statement = statement.where(Notification.project_id == project.id)
    return set(db.session.scalars(statement))


def _ids(*users) -> set[int]:
    return {u.id for u in users}


def test_the_table_is_consistent_with_the_kinds_and_the_workflow(app):
    assert {n.kind for n in notices.NOTICES.values()} <= set(KINDS)
    definition = workflow.registry().latest("co_creation")
    triggers = {t.trigger for t in definition.transitions}
    assert set(notices.TRANSITION_EVENTS) <= triggers
    assert {e for events in notices.TRANSITION_EVENTS.values() for e in events} <= set(
        notices.NOTICES)


def test_each_party_receives_the_notices_from_report_to_closure(
        running, member, agent, president, chair, officer):
    from tadafur.reporting import services as reporting

    report = write_report(member, running, Q1)
    reporting.submit_report(member, report)
    assert _told(running, "report_submitted") == _ids(agent, president, officer)
    reporting.validate_report(agent, report, "return", "Ajoutez les photos.", PASSWORD)
    assert _told(running, "report_returned") == _ids(member, chair)
    reporting.submit_report(member, report)
    validate_all(report, agent, officer)
    parties = _ids(member, agent, president, chair, officer)
    assert _told(running, "report_validated") == parties

    for activity in running.activities:
        activity.status = "done"
    workflow.fire(agent, running, "complete")
    reporting.save_final_report(member, running, FINAL)
    workflow.fire(member, running, "submit_final_report")
    for signer in (agent, officer):
        workflow.fire(signer, running, "signoff:report_validation", password=PASSWORD)
    assert running.state == "evaluation"
    assert _told(running, "final_report_validated") == parties
    assert _told(running, "scoring_opened") == parties  # the three parties score
    for user, party in ((agent, "commune"), (member, "association"), (officer, "programme")):
        reporting.save_scores(user, running, party, scores(3))
    workflow.fire(officer, running, "submit_evaluation")
    for signer in (president, chair, officer):
        workflow.fire(signer, running, "signoff:joint_evaluation", password=PASSWORD)
    assert running.state == "closed"
    assert _told(running, "project_closed") == parties
    # and by e-mail, sent once the transaction commits
    closed = db.session.scalar(select(Notification.message).where(
        Notification.kind == "project_closed", Notification.user_id == chair.id))
    from flask import current_app

    db.session.commit()  # e-mails leave once the transaction commits
    sent = current_app.extensions.get("tadafur.sent_mail", [])
    assert (chair.email, closed[:120]) in {(m["To"], m["Subject"]) for m in sent}


def test_delegation_granted_and_expiring_reach_the_delegate_and_the_delegator(chair, member):
    from tadafur.delegations import services as delegations

    today = dt.date.today()
    delegation = delegations.grant(
        chair, membership_id=chair.memberships[0].id, delegate_id=member.id,
        starts_on=today, ends_on=today + dt.timedelta(days=2), reason="Congé",
        project_ids=None)
    assert _told(None, "delegation") == _ids(member)
    delegations.expire_due()
    delegations.expire_due()  # told once
    rows = list(db.session.scalars(select(Notification).where(
        Notification.kind == "delegation_expiring")))
    assert sorted(r.user_id for r in rows) == sorted([member.id, chair.id])
    assert delegation.ends_on.isoformat() in rows[0].message
