"""The two statements other modules read: budget against actual, indicators against targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tadafur.execution import services
from tests.execution.conftest import TODAY_IN_PERIOD


def test_budget_statement_per_line_and_funder(running, agent, officer, chair):
    lines = {line.description: line for line in running.budget_lines}
    services.record_tranche(officer, running, {
        "funder": "programme", "amount": Decimal("12000"), "planned_on": dt.date(2026, 2, 1),
        "paid_on": dt.date(2026, 2, 3)})
    services.record_tranche(officer, running, {
        "funder": "programme", "amount": Decimal("18000"), "planned_on": dt.date(2026, 9, 1)})
    services.record_tranche(agent, running, {
        "funder": "commune", "amount": Decimal("5000"), "planned_on": dt.date(2026, 3, 1),
        "paid_on": dt.date(2026, 3, 1)})
    for description, amount in (("Ateliers", "7500.25"), ("Ateliers", "2499.75"),
                                ("Matériel", "25000")):
        services.record_expense(chair, running, {
            "budget_line_id": lines[description].id, "amount": Decimal(amount),
            "spent_on": TODAY_IN_PERIOD, "description": "Facture"})

    statement = services.budget_statement(running)

    by_line = {x.description: x for x in statement.lines}
    assert by_line["Ateliers"].spent == Decimal("10000.00")
    assert by_line["Ateliers"].remaining == Decimal("20000.00")
    assert by_line["Ateliers"].percent_spent == Decimal("33.3")
    assert by_line["Matériel"].remaining == Decimal("-5000.00")  # overspent shows negative
    assert by_line["Matériel"].percent_spent == Decimal("125.0")
    assert by_line["Animation"].spent == 0
    programme = statement.funder("programme")
    assert (programme.planned, programme.disbursed, programme.scheduled, programme.spent) == (
        Decimal("30000"), Decimal("12000"), Decimal("18000"), Decimal("10000"))
    assert programme.percent_disbursed == Decimal("40.0")
    assert statement.funder("commune").disbursed == Decimal("5000")
    assert statement.funder("association").disbursed == 0
    assert [f.funder for f in statement.funders] == ["commune", "association", "programme"]
    assert (statement.planned, statement.disbursed, statement.spent, statement.remaining) == (
        Decimal("60000"), Decimal("17000"), Decimal("35000"), Decimal("25000"))
    assert statement.percent_spent == Decimal("58.3")


def _value(actor, project, indicator, start, end, **cells):
    return services.record_indicator_value(actor, project, {
        "indicator_id": indicator.id, "period_start": start, "period_end": end, **cells})


def test_indicator_results_cumulate_outputs_and_take_the_latest_outcome(running, chair):
    people, satisfaction = running.indicators
    _value(chair, running, people, dt.date(2026, 1, 1), dt.date(2026, 3, 31),
           women_youth=Decimal(8), women_adult=Decimal(2), men_youth=Decimal(5),
           men_adult=Decimal(1))
    _value(chair, running, people, dt.date(2026, 4, 1), dt.date(2026, 6, 30),
           women_youth=Decimal(4), women_adult=Decimal(0), men_youth=Decimal(3),
           men_adult=Decimal(1))
    _value(chair, running, satisfaction, dt.date(2026, 1, 1), dt.date(2026, 3, 31),
           total=Decimal(60))
    _value(chair, running, satisfaction, dt.date(2026, 4, 1), dt.date(2026, 6, 30),
           total=Decimal(72))

    first, second = services.indicator_results(running)

    assert [p.value.total for p in first.periods] == [Decimal(16), Decimal(8)]
    assert first.cumulative == first.achieved == Decimal(24)
    assert first.latest == Decimal(8)
    assert first.percent_of_target == Decimal("60.0")
    breakdown = first.achieved_breakdown
    assert (breakdown.women, breakdown.men, breakdown.youth, breakdown.adult) == (
        Decimal(14), Decimal(10), Decimal(20), Decimal(4))
    assert second.achieved == second.latest == Decimal(72)
    assert second.percent_of_target == Decimal("90.0")
    assert second.achieved_breakdown.women is None

    until_march = services.indicator_results(running, period_end=dt.date(2026, 3, 31))
    assert until_march[0].achieved == Decimal(16) and until_march[1].achieved == Decimal(60)


def test_recording_a_period_again_corrects_it(running, chair):
    people = running.indicators[0]
    _value(chair, running, people, dt.date(2026, 1, 1), dt.date(2026, 3, 31),
           women_youth=Decimal(8))
    _value(chair, running, people, dt.date(2026, 1, 1), dt.date(2026, 3, 31),
           women_youth=Decimal(9))
    (result, _other) = services.indicator_results(running)
    assert len(result.periods) == 1 and result.achieved == Decimal(9)


def test_nothing_measured_yet(running):
    results = services.indicator_results(running)
    assert [(r.achieved, r.percent_of_target, r.periods) for r in results] == [
        (None, None, []), (None, None, [])]


@pytest.mark.parametrize("state", ["suspended", "terminated", "final_report", "closed"])
def test_records_are_refused_outside_execution(running, officer, state):
    running.state = state
    with pytest.raises(services.ExecutionError):
        services.record_tranche(officer, running, {
            "funder": "programme", "amount": Decimal("1"), "planned_on": dt.date(2026, 2, 1)})
