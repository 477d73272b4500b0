"""The programme dashboards read execution data: budget disbursed by funder (paid tranches)
and beneficiaries reached by sex and youth (indicators that count people)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from tadafur.execution import services
from tadafur.oversight.services import DashboardFilter, build
from tests.execution.conftest import in_execution
from tests.factories import login


def _record(project, officer, agent, chair):
    services.record_tranche(officer, project, {
        "funder": "programme", "amount": Decimal("12000"), "planned_on": dt.date(2026, 2, 1),
        "paid_on": dt.date(2026, 2, 1)})
    services.record_tranche(officer, project, {  # planned, not paid: not disbursed
        "funder": "programme", "amount": Decimal("18000"), "planned_on": dt.date(2026, 9, 1)})
    services.record_tranche(agent, project, {
        "funder": "commune", "amount": Decimal("5000"), "planned_on": dt.date(2026, 3, 1),
        "paid_on": dt.date(2026, 3, 2)})
    people, satisfaction = project.indicators
    for end, cells in ((dt.date(2026, 3, 31), (8, 2, 5, 1)), (dt.date(2026, 6, 30), (4, 0, 3, 1))):
        services.record_indicator_value(chair, project, {
            "indicator_id": people.id, "period_start": end.replace(day=1), "period_end": end,
            **dict(zip(("women_youth", "women_adult", "men_youth", "men_adult"),
                       map(Decimal, cells), strict=True))})
    services.record_indicator_value(chair, project, {  # not a count of people: left out
        "indicator_id": satisfaction.id, "period_start": dt.date(2026, 1, 1),
        "period_end": dt.date(2026, 3, 31), "total": Decimal(70)})


def test_disbursed_by_funder_and_people_reached(officer, agent, chair, commune, association,
                                                other_commune, other_association):
    before = build(DashboardFilter())
    first = in_execution(agent, commune, association)
    second = in_execution(agent, commune, association)
    _record(first, officer, agent, chair)
    _record(second, officer, agent, chair)
    after = build(DashboardFilter())

    def disbursed(data):
        return {line["funder"]: line["disbursed"] for line in data.budget_by_funder}

    grown = {f: disbursed(after)[f] - disbursed(before)[f] for f in disbursed(after)}
    assert grown == {"commune": Decimal("10000"), "association": 0,
                     "programme": Decimal("24000"), "other": 0}
    reached = {k: after.reached[k] - before.reached.get(k, 0) for k in after.reached}
    assert reached == {"women": 28, "men": 20, "youth": 40, "young_women": 24, "total": 48}
    if other_commune.province.region_id != commune.province.region_id:
        elsewhere = build(DashboardFilter(region_id=other_commune.province.region_id))
        assert elsewhere.reached["total"] == 0  # the region filter applies


def test_dashboard_page_and_exports_show_disbursed_and_reached(client, reviewer, officer, agent,
                                                               chair, commune, association):
    project = in_execution(agent, commune, association)
    _record(project, officer, agent, chair)
    login(client, reviewer)
    page = client.get("/dashboards").get_data(as_text=True)
    assert 'data-disbursed="programme"' in page and 'id="reached-facts"' in page
    csv_text = client.get("/dashboards.csv").get_data(as_text=True)
    assert "disbursed_mad" in csv_text and "beneficiaries_reached" in csv_text
    assert "reached,14,10,20,12,24" in csv_text.replace("\r", "")
    sheet = load_workbook(io.BytesIO(client.get("/dashboards.xlsx").data)).active
    rows = [[c.value for c in row if c.value is not None] for row in sheet.iter_rows()]
    assert ["reached", 14, 10, 20, 12, 24] in rows
    start = rows.index(["funder", "planned_mad", "committed_mad", "disbursed_mad"])
    funder_rows = {r[0]: r for r in rows[start + 1:start + 5]}
    assert funder_rows["programme"][3] == 12000 and funder_rows["commune"][3] == 5000
