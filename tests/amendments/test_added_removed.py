"""Amendments that add and remove budget lines and add activities (issue 17): proposed,
shown in the diff as added/removed, approved by every party (the programme officer too, as
the convention's budget changes shape) and applied with the state change and its audit
record; refused beside the field when money already spent or disbursed would be lost or a
date falls outside the project's period; a failure while applying leaves nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tadafur.amendments import services
from tadafur.amendments.models import OPEN, Amendment
from tadafur.audit.models import AuditEvent
from tadafur.documents import services as documents
from tadafur.documents.queries import DocumentError
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.projects.models import BudgetLine
from tests.amendments.conftest import line, sign
from tests.factories import PASSWORD, login

TABLETS = {"category": "equipment", "description": "Tablettes pour l'atelier",
           "funder": "programme", "amount": "5000", "in_kind": False}


def _propose(user, project, **proposal):
    amendment = services.propose(user, project, "Ajustement après le premier semestre.",
                                 services.Proposal(**proposal))
    db.session.commit()
    return amendment


def _refused(user, project, **proposal) -> services.AmendmentError:
    with pytest.raises(services.AmendmentError) as refused:
        services.propose(user, project, "Ajustement.", services.Proposal(**proposal))
    db.session.rollback()
    assert db.session.scalar(select(Amendment)) is None  # nothing half-saved
    return refused.value


def _pay(project, officer, amount):
    execution.record_tranche(officer, project, {
        "funder": "programme", "amount": Decimal(amount), "paid_on": today()})
    db.session.commit()


def _last_audit(action):
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.seq.desc()))


def test_a_line_added_is_diffed_approved_by_all_and_applied_with_its_audit(running, people):
    _pay(running, people["officer"], "16000")  # the programme's first tranche, paid
    amendment = _propose(people["member"], running, new_line=dict(TABLETS))
    assert amendment.kind_list == ["budget"]
    assert "programme" in amendment.party_list  # a line added moves all of its amount
    [added] = [r for r in services.diff(amendment).budget if r.mark == "added"]
    assert (added.label, added.before, added.after) == ("Tablettes pour l'atelier",
                                                        Decimal("0"), Decimal("5000.00"))
    assert len(running.budget_lines) == 3  # nothing before the last sign-off
    for signer in ("president", "chair", "officer"):
        sign(people[signer], amendment)
    db.session.expire_all()
    assert amendment.status == "approved" and amendment.document_id
    new = next(x for x in running.budget_lines if x.description.startswith("Tablettes"))
    assert (new.category, new.funder, new.amount, new.in_kind) == (
        "equipment", "programme", Decimal("5000.00"), False)
    after = json.loads(_last_audit("project.amended").after)
    [row] = [r for r in after["changes"]["budget"] if r.get("new")]
    assert row["category"] == "equipment" and row["funder"] == ["programme", "programme"]
    schedule = [(t.number, t.amount, t.due) for t in
                documents.convention_facts(running)["tranches"] if t.funder == "programme"]
    assert schedule[0] == (1, Decimal("16000.00"), "paid")  # paid stays paid
    assert sum(t[1] for t in schedule) == Decimal("45000.00")


def test_a_line_removed_is_marked_and_deleted_on_approval(running, people):
    staff = line(running, "association")  # 10,000 in kind, nothing spent
    amendment = _propose(people["agent"], running, removed_lines={staff.id})
    [row] = [r for r in services.diff(amendment).budget if r.mark == "removed"]
    assert (row.before, row.after) == (Decimal("10000.00"), Decimal("0"))
    assert "programme" in amendment.party_list
    # What it touches is held: a second amendment on the same line is refused.
    with pytest.raises(services.AmendmentError):
        services.propose(people["agent"], running, "Encore.",
                         services.Proposal(lines={staff.id: {"amount": "9000"}}))
    db.session.rollback()
    for signer in ("president", "chair", "officer"):
        sign(people[signer], amendment)
    db.session.expire_all()
    assert db.session.get(BudgetLine, staff.id) is None
    assert all(x.funder != "association" for x in running.budget_lines)


def test_a_line_cannot_be_removed_once_something_was_spent_on_it(running, people):
    works = line(running, "commune")
    execution.record_expense(people["member"], running, {
        "budget_line_id": works.id, "amount": Decimal("2000"), "spent_on": today(),
        "description": "Travaux"})
    db.session.commit()
    refused = _refused(people["agent"], running, removed_lines={works.id})
    assert refused.field == f"line-{works.id}-remove"
    assert "2,000.00" in refused.message and format(works.amount, ",.2f") in refused.message


def test_a_line_cannot_be_removed_below_what_its_funder_disbursed(running, people):
    grant = line(running, "programme")
    _pay(running, people["officer"], "16000")
    refused = _refused(people["agent"], running, removed_lines={grant.id})
    assert refused.field == f"line-{grant.id}-remove"
    assert "16,000.00" in refused.message and "0.00" in refused.message


@pytest.mark.parametrize(("typed", "field"), [
    ({"amount": "beaucoup"}, "new-line-amount"),
    ({"amount": ""}, "new-line-amount"),
    ({"category": "caviar"}, "new-line-category"),
    ({"funder": "banque"}, "new-line-funder"),
])
def test_a_bad_new_line_is_refused_beside_its_field(running, people, typed, field):
    refused = _refused(people["agent"], running, new_line={**TABLETS, **typed})
    assert refused.field == field and refused.message


def test_an_activity_added_must_fall_within_the_projects_period(running, people):
    before = running.start_date - dt.timedelta(days=1)
    refused = _refused(people["agent"], running, new_activity={
        "title": "Forum", "planned_start": before.isoformat(), "planned_end": ""})
    assert refused.field == "new-activity-planned_start"
    bad = _refused(people["agent"], running, new_activity={
        "title": "Forum", "planned_start": "demain", "planned_end": ""})
    assert bad.field == "new-activity-planned_start"
    start, end = running.start_date, running.start_date + dt.timedelta(days=30)
    amendment = _propose(people["agent"], running, new_activity={
        "title": "Forum", "planned_start": start.isoformat(), "planned_end": end.isoformat()})
    [row] = services.diff(amendment).fields
    assert row.before == "—" and "Forum" in row.after
    for signer in ("president", "chair"):
        sign(people[signer], amendment)
    db.session.expire_all()
    forum = next(a for a in running.activities if a.title == "Forum")
    assert (forum.planned_start, forum.planned_end) == (start, end)


def test_a_failure_while_applying_leaves_nothing(running, people, monkeypatch):
    staff = line(running, "association")
    amendment = _propose(people["agent"], running, removed_lines={staff.id},
                         new_line=dict(TABLETS))
    for signer in ("president", "chair"):
        sign(people[signer], amendment)

    def broken(*_args, **_kwargs):
        raise DocumentError("the printer is on fire")

    monkeypatch.setattr(documents, "produce", broken)
    with pytest.raises(services.AmendmentError):
        services.sign(people["officer"], amendment, decision="approve", comment=None,
                      password=PASSWORD)
    db.session.rollback()
    db.session.expire_all()
    assert amendment.status == OPEN
    assert db.session.get(BudgetLine, staff.id) is not None
    assert len(running.budget_lines) == 3
    assert _last_audit("project.amended") is None


def test_the_form_adds_and_removes_lines_by_plain_post(client, running, people):
    staff = line(running, "association")
    login(client, people["agent"])
    page = client.get(f"/projects/{running.id}/amendments/new")
    assert f'name="line-{staff.id}-remove"' in page.text and 'name="new-line-amount"' in page.text
    bad = client.post(f"/projects/{running.id}/amendments/new", data={
        "justification": "Nouveau matériel.", "new-line-category": "equipment",
        "new-line-description": "Tablettes", "new-line-funder": "programme",
        "new-line-amount": "beaucoup"})
    assert bad.status_code == 422 and 'id="new-line-amount-error"' in bad.text
    assert 'value="beaucoup"' in bad.text
    assert db.session.scalar(select(Amendment)) is None
    done = client.post(f"/projects/{running.id}/amendments/new", data={
        "justification": "Nouveau matériel.", "new-line-category": "equipment",
        "new-line-description": "Tablettes", "new-line-funder": "programme",
        "new-line-amount": "5000", f"line-{staff.id}-remove": "1"})
    assert done.status_code == 303, done.text[:400]
    shown = client.get(done.headers["Location"])
    assert shown.status_code == 200
    assert ">added<" in shown.text and ">removed<" in shown.text and "5,000.00" in shown.text


def test_an_activity_outside_the_period_comes_back_beside_its_field(client, running, people):
    login(client, people["agent"])
    late = (running.end_date + dt.timedelta(days=1)).isoformat()
    response = client.post(f"/projects/{running.id}/amendments/new", data={
        "justification": "Un forum.", "new-activity-title": "Forum",
        "new-activity-planned_end": late})
    assert response.status_code == 422
    assert 'id="new-activity-planned_end-error"' in response.text
    assert db.session.scalar(select(Amendment)) is None


def test_an_expense_recorded_while_the_removal_awaits_stops_the_last_approval(running,
                                                                             people):
    works = line(running, "commune")
    amendment = _propose(people["agent"], running, removed_lines={works.id})
    for signer in ("president", "chair"):
        sign(people[signer], amendment)
    execution.record_expense(people["member"], running, {
        "budget_line_id": works.id, "amount": Decimal("1500"), "spent_on": today(),
        "description": "Travaux"})
    db.session.commit()
    with pytest.raises(services.AmendmentError) as refused:
        services.sign(people["officer"], amendment, decision="approve", comment=None,
                      password=PASSWORD)
    db.session.rollback()
    assert "1,500.00" in refused.value.message
    db.session.expire_all()
    assert amendment.status == OPEN and db.session.get(BudgetLine, works.id) is not None


def test_progress_recorded_while_an_activity_removal_awaits_stops_the_last_approval(
        running, people):
    _first, second = running.activities
    amendment = _propose(people["agent"], running, removed_activities={second.id})
    sign(people["president"], amendment)
    execution.record_progress(people["member"], running, {"activity_id": second.id,
                                                          "percent": 10})
    db.session.commit()
    with pytest.raises(services.AmendmentError):
        services.sign(people["chair"], amendment, decision="approve", comment=None,
                      password=PASSWORD)
    db.session.rollback()
    db.session.expire_all()
    assert amendment.status == OPEN and len(running.activities) == 2
