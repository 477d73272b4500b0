"""Amendments respect what already happened (issue 17): a line never goes below what was
spent on it, a funder's lines never below what it disbursed; indicators and activities can be
added and removed; the consolidated convention keeps paid tranches as paid and spreads only
what remains (the programme line lowered from 35,000 to 33,000 after 35,000 was paid gave
106.1 % disbursed and a schedule of 13,200 / 13,200 / 6,600)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tadafur.amendments import services
from tadafur.documents import services as documents
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.models_base import today
from tests.amendments.conftest import line, sign


def _propose(user, project, **proposal):
    amendment = services.propose(user, project, "Ajustement après le premier semestre.",
                                 services.Proposal(**proposal))
    db.session.commit()
    return amendment


def _pay(project, officer, amount):
    execution.record_tranche(officer, project, {
        "funder": "programme", "amount": Decimal(amount), "paid_on": today()})
    db.session.commit()


def test_a_funders_lines_cannot_go_below_what_it_disbursed(running, people):
    grant = line(running, "programme")  # 40,000
    _pay(running, people["officer"], "35000")
    with pytest.raises(services.AmendmentError) as refused:
        _propose(people["agent"], running, lines={grant.id: {"amount": "33000"}})
    assert refused.value.field == f"line-{grant.id}-amount"
    assert "35,000.00" in refused.value.message and "33,000.00" in refused.value.message
    _propose(people["agent"], running, lines={grant.id: {"amount": "36000"}})  # above it


def test_a_line_cannot_go_below_what_was_spent_on_it(running, people):
    works = line(running, "commune")
    execution.record_expense(people["member"], running, {
        "budget_line_id": works.id, "amount": Decimal("20000"), "spent_on": today(),
        "description": "Travaux"})
    db.session.commit()
    with pytest.raises(services.AmendmentError) as refused:
        _propose(people["agent"], running, lines={works.id: {"amount": "15000"}})
    assert refused.value.field == f"line-{works.id}-amount"
    assert "20,000.00" in refused.value.message and "15,000.00" in refused.value.message


def test_an_indicator_added_by_amendment_takes_values_once_approved(running, people):
    amendment = _propose(people["member"], running, new_indicator={
        "level": "outcome", "name": "Femmes élues au conseil des jeunes", "unit": "%",
        "baseline": "10", "target": "40"})
    assert amendment.kind_list == ["indicators"]
    [row] = services.diff(amendment).fields
    assert "Femmes élues" in row.label and row.after == "10.00 → 40.00"
    assert len(running.indicators) == 1  # nothing before the last sign-off
    for signer in ("president", "chair", "officer"):
        sign(people[signer], amendment)
    db.session.expire_all()
    added = next(i for i in running.indicators if i.name.startswith("Femmes"))
    assert (added.baseline, added.target, added.level) == (Decimal("10.00"),
                                                          Decimal("40.00"), "outcome")
    execution.record_indicator_value(people["member"], running, {
        "indicator_id": added.id, "period_start": today(), "period_end": today(),
        "total": Decimal("25")})
    [result] = [r for r in execution.indicator_results(running) if r.indicator_id == added.id]
    assert result.achieved == Decimal("25.00")


def test_activities_are_added_and_removed_but_not_once_recorded(running, people):
    first, second = running.activities
    execution.record_progress(people["member"], running, {"activity_id": first.id,
                                                          "percent": 30})
    db.session.commit()
    with pytest.raises(services.AmendmentError) as refused:
        _propose(people["agent"], running, removed_activities={first.id})
    assert refused.value.field == f"activity-{first.id}-remove"
    amendment = _propose(people["agent"], running, removed_activities={second.id},
                         new_activity={"title": "Forum de restitution",
                                       "planned_start": "", "planned_end": ""})
    for signer in ("president", "chair"):
        sign(people[signer], amendment)
    db.session.expire_all()
    assert [a.title for a in running.activities] == [first.title, "Forum de restitution"]


def test_the_consolidated_schedule_keeps_paid_tranches_and_spreads_what_remains(
        running, people):
    grant = line(running, "programme")  # 40,000: at signature 40 %, interim 40 %, final 20 %
    _pay(running, people["officer"], "17500")
    _pay(running, people["officer"], "17500")
    amendment = _propose(people["agent"], running, lines={grant.id: {"amount": "38000"}})
    for signer in ("president", "chair"):
        sign(people[signer], amendment)
    db.session.expire_all()
    schedule = [(t.number, t.amount, t.due) for t in
                documents.convention_facts(running)["tranches"] if t.funder == "programme"]
    assert schedule == [(1, Decimal("17500.00"), "paid"), (2, Decimal("17500.00"), "paid"),
                        (3, Decimal("3000.00"), "final")]
    statement = execution.budget_statement(running).funder("programme")
    assert statement.percent_disbursed <= 100
