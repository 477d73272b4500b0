"""The execution tab through HTTP: who may record what, bad input (422, a message beside the
field, nothing stored), the state rule, and the tab's query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.execution import services
from tadafur.execution.models import ActivityProgress, Expense, IndicatorValue, Tranche
from tadafur.extensions import db
from tests.execution.conftest import in_execution
from tests.factories import TOMORROW, dated, login, tomorrow


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _tab(client, project):
    return client.get(f"/projects/{project.id}?tab=execution")


def _tranche(**values):
    data = {"tranche-funder": "programme", "tranche-amount": "12000",
            "tranche-planned_on": "2026-02-01", "tranche-paid_on": "2026-02-03"}
    data.update({f"tranche-{k}": v for k, v in values.items()})
    return data


def test_officer_records_a_paid_programme_tranche(client, running, officer):
    login(client, officer)
    response = client.post(f"/projects/{running.id}/execution/tranches", data=_tranche())
    assert response.status_code == 303
    tranche = db.session.scalar(select(Tranche))
    assert (tranche.funder, tranche.amount, tranche.paid_on) == (
        "programme", Decimal("12000.00"), dt.date(2026, 2, 3))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tranche.recorded"))
    assert event.project_id == running.id and '"amount":"12000.00"' in event.after
    page = _tab(client, running).get_data(as_text=True)
    assert 'id="execution-summary"' in page and 'id="statement-funders"' in page


def test_page_shows_the_statement_and_the_forms_to_the_partners(client, running, chair):
    login(client, chair)
    page = _tab(client, running).get_data(as_text=True)
    for form in ("expense-form", "progress-form", "value-form", "attachment-form"):
        assert f'id="{form}"' in page
    # Its share is in kind: nothing is disbursed, no tranche to record.
    assert 'id="tranche-form"' not in page
    assert 'role="img"' in page and "<title id=\"chart-" in page


def test_association_with_a_share_in_money_records_its_tranches(client, agent, commune,
                                                                 association, chair):
    project = in_execution(agent, commune, association, lines=(
        ("events", "Ateliers", "30000", "programme"),
        ("staff", "Animation", "10000", "association")))
    project.budget_lines[-1].in_kind = False
    db.session.flush()
    login(client, chair)
    assert 'id="tranche-form"' in _tab(client, project).get_data(as_text=True)
    response = client.post(f"/projects/{project.id}/execution/tranches",
                           data=_tranche(funder="association", amount="100"))
    assert response.status_code == 303


def test_execution_tab_hidden_before_execution(client, agent, commune, association):
    from tests.projects.conftest import make_project

    draft = make_project(agent, commune, association)
    login(client, agent)
    assert "tab=execution" not in client.get(f"/projects/{draft.id}").get_data(as_text=True)
    assert client.get(f"/projects/{draft.id}/tabs/execution").status_code == 404


@pytest.mark.parametrize("who, funder, allowed", [
    ("officer", "programme", True), ("officer", "commune", False),
    ("agent", "commune", True), ("agent", "programme", False),
    ("chair", "association", False), ("chair", "commune", False),
])
def test_each_funder_records_its_own_tranches(client, running, request, who, funder, allowed):
    """The association's share is in kind here: it has no tranche to record (422)."""
    login(client, request.getfixturevalue(who))
    response = client.post(f"/projects/{running.id}/execution/tranches",
                           data=_tranche(funder=funder, amount="100"))
    assert response.status_code == (303 if allowed else 422)
    assert _count(Tranche) == (1 if allowed else 0)


@pytest.mark.parametrize("url, data", [
    ("tranches", _tranche()),
    ("expenses", {"expense-amount": "10"}),
    ("progress", {"progress-percent": "10"}),
    ("indicator-values", {"value-total": "1"}),
    ("attachments", {}),
])
def test_reviewer_and_outsiders_cannot_record(client, running, reviewer, outsider_agent,
                                              outsider_member, url, data):
    for user in (reviewer, outsider_agent, outsider_member):
        login(client, user)
        response = client.post(f"/projects/{running.id}/execution/{url}", data=data)
        assert response.status_code == 403, (user.email, url)
        client.post("/logout")
    assert _count(Tranche) + _count(Expense) + _count(IndicatorValue) == 0


def test_officer_does_not_record_expenses(client, running, officer):
    login(client, officer)
    line = running.budget_lines[0]
    response = client.post(f"/projects/{running.id}/execution/expenses", data={
        "expense-budget_line_id": line.id, "expense-amount": "10",
        "expense-spent_on": "2026-05-01", "expense-description": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("values, field, message", [
    ({"amount": "-5"}, "amount", "greater than zero"),
    ({"amount": "douze"}, "amount", "Not a valid decimal"),
    ({"amount": "0"}, "amount", "greater than zero"),
    ({"amount": "NaN"}, "amount", "Enter a number"),
    ({"planned_on": "2025-12-31"}, "planned_on", "(the signature of the convention)"),
    ({"paid_on": TOMORROW}, "paid_on", "(today)"),
    ({"planned_on": "2026-02-31"}, "planned_on", "Not a valid date"),
    ({"amount": "30000.01"}, "justification", "explain why"),
])
def test_bad_tranches_are_refused_beside_the_field(client, running, officer, values, field,
                                                   message):
    login(client, officer)
    response = client.post(f"/projects/{running.id}/execution/tranches",
                           data=_tranche(**dated(values)))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="tranche-{field}-error"' in body and message in body
    assert _count(Tranche) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("tranche.%"))) == 0


def test_paying_above_the_budget_with_a_justification(client, running, officer):
    login(client, officer)
    response = client.post(f"/projects/{running.id}/execution/tranches", data=_tranche(
        amount="31000", justification="Avenant du comité de pilotage du 2 février"))
    assert response.status_code == 303
    assert services.budget_statement(running).funder("programme").disbursed == 31000


def test_paying_a_planned_tranche_later(client, running, officer):
    login(client, officer)
    client.post(f"/projects/{running.id}/execution/tranches",
                data=_tranche(amount="30000", paid_on=""))
    tranche = db.session.scalar(select(Tranche))
    assert tranche.paid_on is None
    url = f"/projects/{running.id}/execution/tranches/{tranche.id}/pay"
    refused = client.post(url, data={"pay-paid_on": tomorrow().isoformat()})
    assert refused.status_code == 422
    assert f'id="pay-{tranche.id}-error"' in refused.get_data(as_text=True)
    assert client.post(url, data={"pay-paid_on": "2026-04-02"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tranche, tranche.id).paid_on == dt.date(2026, 4, 2)
    assert client.post(url, data={"pay-paid_on": "2026-04-02"}).status_code == 409


@pytest.mark.parametrize("values, field", [
    ({"amount": "-1"}, "amount"), ({"amount": "abc"}, "amount"),
    ({"spent_on": TOMORROW}, "spent_on"), ({"spent_on": ""}, "spent_on"),
    ({"budget_line_id": "999999"}, "budget_line_id"), ({"description": ""}, "description"),
])
def test_bad_expenses_are_refused(client, running, chair, values, field):
    login(client, chair)
    data = {"budget_line_id": running.budget_lines[0].id, "amount": "500",
            "spent_on": "2026-05-01", "description": "Location de salle", **values}
    response = client.post(f"/projects/{running.id}/execution/expenses",
                           data={f"expense-{k}": v for k, v in dated(data).items()})
    assert response.status_code == 422
    assert f'id="expense-{field}-error"' in response.get_data(as_text=True)
    assert _count(Expense) == 0


def test_expense_of_another_projects_line_is_refused(client, running, chair, agent, commune,
                                                     association):
    other = in_execution(agent, commune, association)
    login(client, chair)
    response = client.post(f"/projects/{running.id}/execution/expenses", data={
        "expense-budget_line_id": other.budget_lines[0].id, "expense-amount": "5",
        "expense-spent_on": "2026-05-01", "expense-description": "x"})
    assert response.status_code == 422 and _count(Expense) == 0


def test_progress_and_bad_progress(client, running, agent):
    login(client, agent)
    activity = running.activities[0]
    url = f"/projects/{running.id}/execution/progress"
    for percent in ("101", "-1", "beaucoup"):
        response = client.post(url, data={"progress-activity_id": activity.id,
                                          "progress-percent": percent})
        assert response.status_code == 422
        assert 'id="progress-percent-error"' in response.get_data(as_text=True)
    assert _count(ActivityProgress) == 0
    assert client.post(url, data={"progress-activity_id": activity.id,
                                  "progress-percent": "60",
                                  "progress-note": "Salle réservée"}).status_code == 303
    page = _tab(client, running).get_data(as_text=True)
    assert 'value="60"' in page and "Salle réservée" in page


def test_indicator_values_and_bad_values(client, running, chair):
    login(client, chair)
    people, satisfaction = running.indicators
    url = f"/projects/{running.id}/execution/indicator-values"
    base = {"indicator_id": people.id, "period_start": "2026-01-01",
            "period_end": "2026-03-31"}
    bad = [({"women_youth": "-3"}, "women_youth"), ({"women_youth": "x"}, "women_youth"),
           ({}, "women_youth"), ({"women_youth": "3", "total": "4"}, "total"),
           ({"women_youth": "3", "period_end": TOMORROW}, "period_end"),
           ({"women_youth": "3", "period_start": "2026-04-01"}, "period_end")]
    for values, field in bad:
        data = {f"value-{k}": v for k, v in dated({**base, **values}).items()}
        response = client.post(url, data=data)
        assert response.status_code == 422, values
        assert f'id="value-{field}-error"' in response.get_data(as_text=True), values
    assert _count(IndicatorValue) == 0
    good = {**base, "women_youth": "8", "women_adult": "2", "men_youth": "5", "men_adult": "1"}
    assert client.post(url, data={f"value-{k}": v for k, v in good.items()}).status_code == 303
    total_only = {"indicator_id": satisfaction.id, "period_start": "2026-01-01",
                  "period_end": "2026-03-31", "total": "64"}
    assert client.post(url, data={f"value-{k}": v
                                  for k, v in total_only.items()}).status_code == 303
    results = services.indicator_results(running)
    assert [r.achieved for r in results] == [Decimal(16), Decimal(64)]


@pytest.mark.parametrize("state", ["suspended", "terminated", "final_report", "evaluation",
                                   "closed"])
def test_read_only_after_execution(client, running, officer, state):
    running.state = state
    db.session.flush()
    login(client, officer)
    page = _tab(client, running)
    assert page.status_code == 200
    assert 'id="tranche-form"' not in page.get_data(as_text=True)
    response = client.post(f"/projects/{running.id}/execution/tranches", data=_tranche())
    assert response.status_code == 409 and _count(Tranche) == 0


def _fill(project, actor, officer, rows: int) -> None:
    line = project.budget_lines[0]
    for n in range(rows):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=n * 3)
        services.record_tranche(officer, project, {"funder": "programme",
                                                   "amount": Decimal(10),
                                                   "planned_on": day, "paid_on": day})
        services.record_expense(actor, project, {"budget_line_id": line.id,
                                                 "amount": Decimal(5), "spent_on": day,
                                                 "description": f"Dépense {n}"})
        services.record_indicator_value(actor, project, {
            "indicator_id": project.indicators[0].id, "period_start": day,
            "period_end": day, "women_youth": Decimal(1)})
        services.record_progress(actor, project, {
            "activity_id": project.activities[n % 2].id, "percent": n % 100})
        services.store_attachment(actor, project, b"%PDF-1.4 tiny", f"preuve-{n}.pdf")
    db.session.commit()


def test_execution_tab_runs_a_fixed_number_of_queries(client, officer, agent, commune,
                                                      association, count_queries):
    small = in_execution(agent, commune, association)
    large = in_execution(agent, commune, association)
    _fill(small, agent, officer, 3)
    _fill(large, agent, officer, 30)
    login(client, officer)
    counts = []
    for project in (small, large):
        with count_queries() as counter:
            response = _tab(client, project)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert body.count('data-attachment="') in (3, 30)
        counts.append(counter.count)
    print("execution tab queries (3 rows, 30 rows):", counts)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 40, counts


def test_only_the_funder_marks_its_tranche_paid(client, running, officer, agent):
    tranche = services.record_tranche(officer, running, {
        "funder": "programme", "amount": Decimal(1000), "planned_on": dt.date(2026, 2, 1)})
    db.session.commit()
    login(client, agent)
    page = _tab(client, running).get_data(as_text=True)
    assert f"/tranches/{tranche.id}/pay" not in page
    response = client.post(f"/projects/{running.id}/execution/tranches/{tranche.id}/pay",
                           data={"pay-paid_on": "2026-02-02"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Tranche, tranche.id).paid_on is None
