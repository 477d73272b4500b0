"""Date rules as data (`dates:` in the workflow file) and the settable clock (issue 17: no
tranche could be paid while the project's start was ahead, though the first one falls due at
signature; expenses, report periods and the committee had to be typed in the future)."""

from __future__ import annotations

import datetime as dt

import pytest

from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.models_base import frozen, today
from tadafur.workflow import dates
from tests.workflow.conftest import to_state
from tests.workflow.test_definition import _default, _errors_of, _write
from tests.workflow.test_fire import people  # noqa: F401  (fixture)


def test_a_rule_with_an_unknown_anchor_is_named_with_its_key(tmp_path):
    data = _default()
    data["dates"]["rules"]["expense"] = {"from": "kickoff", "to": "end"}
    data["dates"]["grace_days"] = -3
    errors = _errors_of(_write(tmp_path, data))
    assert any("dates.rules.expense.from: unknown anchor 'kickoff'" in e for e in errors)
    assert any("dates.grace_days" in e for e in errors)


def test_the_clock_is_settable_by_the_setting_and_for_a_block(app):
    real = today()
    with frozen(dt.date(2027, 3, 31)):
        assert today() == dt.date(2027, 3, 31)
    app.config["TODAY"] = "2027-01-15"
    try:
        assert today() == dt.date(2027, 1, 15)
    finally:
        app.config.pop("TODAY")
    assert today() == real


def test_a_project_signed_today_pays_its_first_tranche_today_though_it_starts_later(
        make_project, people):  # noqa: F811
    """Signed today, starting in a month: the tranche is paid at signature; tomorrow is
    refused with the range named (signature .. today)."""
    project = make_project()
    project.start_date = today() + dt.timedelta(days=30)
    project.end_date = today() + dt.timedelta(days=300)
    db.session.flush()
    to_state(project, "in_execution", **people)
    allowed = dates.allowed_range(project, "tranche_paid")
    assert (allowed.start, allowed.start_anchor) == (today(), "signature")
    assert (allowed.end, allowed.end_anchor) == (today(), "today")
    with pytest.raises(execution.ExecutionError) as refused:
        execution.record_tranche(people["officer"], project, {
            "funder": "programme", "amount": 1000, "paid_on": today() + dt.timedelta(days=1)})
    assert refused.value.field == "paid_on"
    assert "(the signature of the convention)" in refused.value.message
    assert "(today)" in refused.value.message
    tranche = execution.record_tranche(people["officer"], project, {
        "funder": "programme", "amount": 1000, "paid_on": today()})
    assert tranche.planned_on == tranche.paid_on == today()


def test_the_grace_period_lets_late_payments_in_after_the_end(make_project, people):  # noqa: F811
    project = make_project()
    project.start_date, project.end_date = dt.date(2025, 1, 1), today() - dt.timedelta(days=30)
    db.session.flush()
    to_state(project, "in_execution", **people)
    execution.record_expense(people["member"], project, {
        "budget_line_id": project.budget_lines[0].id, "amount": 50, "spent_on": today(),
        "description": "Dernière facture"})  # 30 days after the end, within 90 of grace
    allowed = dates.allowed_range(project, "expense")
    assert allowed.end == today()
