"""A project in execution, made through the real services: budget lines of three funders,
two activities, an output indicator counting people (disaggregated) and an outcome one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tadafur.extensions import db
from tadafur.projects import services as projects
from tests.projects.conftest import make_project

START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
TODAY_IN_PERIOD = dt.date(2026, 6, 15)


def in_execution(actor, commune, association, lines=None):
    project = make_project(actor, commune, association, start_date=START, end_date=END,
                           summary="Espace jeunes", objectives="Former 40 jeunes")
    for category, description, amount, funder in lines or (
            ("events", "Ateliers", "30000", "programme"),
            ("equipment", "Matériel", "20000", "commune"),
            ("staff", "Animation", "10000", "association")):
        projects.add_budget_line(actor, project, {
            "category": category, "description": description, "amount": Decimal(amount),
            "funder": funder, "in_kind": funder == "association"})
    projects.add_activity(actor, project, {"title": "Atelier de lancement",
                                           "planned_start": dt.date(2026, 3, 1),
                                           "planned_end": dt.date(2026, 3, 5)})
    projects.add_activity(actor, project, {"title": "Forum des jeunes",
                                           "planned_start": dt.date(2026, 6, 1),
                                           "planned_end": dt.date(2026, 6, 2)})
    projects.add_indicator(actor, project, {
        "level": "output", "name": "Personnes formées", "unit": "personnes",
        "baseline": Decimal("0"), "target": Decimal("40"), "disaggregated": True,
        "counts_people": True})
    projects.add_indicator(actor, project, {
        "level": "outcome", "name": "Taux de satisfaction", "unit": "%",
        "baseline": Decimal("50"), "target": Decimal("80"), "disaggregated": False})
    project.state = "in_execution"
    db.session.flush()
    db.session.expire(project)
    return project


@pytest.fixture
def running(agent, commune, association):
    return in_execution(agent, commune, association)
