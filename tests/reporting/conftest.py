"""A project in execution with two indicators, values recorded over two periods and
expenses, ready to be reported on; helpers to write and validate reports and to score the
evaluation as the three parties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.projects.models import Indicator
from tadafur.reporting import services
from tadafur.reporting.models import CRITERIA
from tadafur.workflow import services as workflow
from tadafur.workflow.models import TransitionRecord
from tests.factories import PASSWORD
from tests.workflow.conftest import build_project

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
TEXTS = {"narrative": "Les ateliers ont commencé.", "achievements": "Deux ateliers tenus.",
         "difficulties": "Retard du mobilier."}


def put_in_execution(project, actor) -> None:
    """Test set-up shortcut: the project enters execution as the convention's gate would
    make it (the workflow's own tests walk that part)."""
    seq = workflow.current_round(project) + 1
    db.session.add(TransitionRecord(project_id=project.id, seq=seq, trigger="sign_convention",
                                    from_state=project.state, to_state="in_execution",
                                    workflow_version=project.workflow_version,
                                    actor_id=actor.id,
                                    at=dt.datetime.combine(project.start_date, dt.time(9))))
    project.state = "in_execution"
    db.session.flush()


@pytest.fixture
def running(commune, association, agent, member):
    """In execution, with a disaggregated output indicator (youth trained, target 120) and an
    outcome indicator (satisfaction rate, target 80), values for Q1 and Q2, and expenses."""
    project = build_project(commune, association, agent)
    project.indicators = []  # the fixture's own indicator gives way
    db.session.flush()
    project.indicators = [
        Indicator(position=1, level="output", name="Jeunes formés", unit="personnes",
                  baseline=Decimal("0"), target=Decimal("120"), disaggregated=True),
        Indicator(position=2, level="outcome", name="Taux de satisfaction", unit="%",
                  baseline=Decimal("40"), target=Decimal("80"), disaggregated=False),
    ]
    db.session.flush()
    put_in_execution(project, agent)
    trained, rate = project.indicators
    for (start, end), cells, value in ((Q1, ("11", "7", "9", "3"), "55"),
                                       (Q2, ("21", "4", "17", "2"), "72")):
        execution.record_indicator_value(member, project, {
            "indicator_id": trained.id, "period_start": start, "period_end": end,
            **dict(zip(("women_youth", "women_adult", "men_youth", "men_adult"),
                       map(Decimal, cells), strict=True))})
        execution.record_indicator_value(member, project, {
            "indicator_id": rate.id, "period_start": start, "period_end": end,
            "total": Decimal(value)})
    execution.record_expense(agent, project, {
        "budget_line_id": project.budget_lines[0].id, "amount": Decimal("12345.50"),
        "spent_on": dt.date(2026, 2, 10), "description": "Chaises et tables"})
    db.session.flush()
    return project


def write_report(author, project, period=Q1, **values):
    return services.create_report(author, project, {
        "period_start": period[0], "period_end": period[1], **TEXTS, **values})


def validate_all(report, *validators, password=PASSWORD):
    for user in validators:
        services.validate_report(user, report, "approve", None, password)
    db.session.flush()


def scores(score: int = 3, **overrides) -> dict:
    values = {"lessons": "Associer les jeunes dès le début.",
              "recommendations": "Reconduire les ateliers."}
    for criterion in CRITERIA:
        values[f"{criterion}_score"] = str(score)
        values[f"{criterion}_justification"] = f"Justification {criterion}"
    values.update(overrides)
    return values


FINAL = {"narrative": "Toutes les activités ont été réalisées.",
         "lessons": "Un comité mensuel aide.", "committee_date": dt.date(2026, 11, 20),
         "committee_attendees": "Commune, association, Enabel",
         "committee_decisions": "Clôture approuvée.",
         "financial_justification": "Les tranches non versées sont annulées d'un commun "
                                    "accord; le reliquat revient au programme."}
