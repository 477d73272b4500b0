"""Running projects to amend: walked through the real workflow up to execution, with the real
convention (frozen, signed off by the three parties, sealed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tadafur.amendments import services
from tadafur.extensions import db
from tadafur.projects.models import Indicator
from tests.factories import PASSWORD
from tests.pdfs import cheap_pdfs
from tests.workflow.conftest import build_project, to_state


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


def running_project(commune, association, people):
    project = build_project(commune, association, people["agent"])
    project.indicators = []  # the fixture's own indicator gives way
    db.session.flush()
    project.indicators = [Indicator(position=1, level="output", name="Jeunes formés",
                                    unit="personnes", baseline=Decimal("0"),
                                    target=Decimal("120"))]
    db.session.flush()
    # The first convention's pages are not what these tests read (they read the amendment's
    # and the consolidated convention's, laid out for real on approval).
    with cheap_pdfs():
        to_state(project, "in_execution", **people)
    return project


@pytest.fixture
def running(commune, association, people):
    return running_project(commune, association, people)


def line(project, funder):
    return next(x for x in project.budget_lines if x.funder == funder)


def sign(user, amendment, decision="approve", comment=None):
    services.sign(user, amendment, decision=decision, comment=comment, password=PASSWORD)
    db.session.commit()
