"""Projects made through the real services, and the themes they are tagged with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tadafur.extensions import db
from tadafur.projects import services
from tests.workflow.doubles import install_document_double_if_needed

install_document_double_if_needed()


@pytest.fixture
def themes():
    services.seed_themes()
    return services.all_themes()


def make_project(actor, commune, association, **values):
    """A draft created by `actor` through create_project (reference, workflow, audit)."""
    data = {"commune_id": commune.id, "lead_association_id": association.id,
            "title_ar": "مشروع تجريبي", "title_fr": "Projet d'essai", "summary": "",
            "objectives": "", "target_groups": "", "place": "", "start_date": None,
            "end_date": None, "beneficiaries_women": 0, "beneficiaries_men": 0,
            "beneficiaries_youth": 0, "partner_ids": [], "theme_ids": []}
    data.update(values)
    project = services.create_project(actor, data)
    db.session.flush()
    return project


def complete(project, actor):
    """Fill what the submission guard asks for: texts, dates, a budget line, an activity,
    an indicator with its baseline and target."""
    services.update_project(actor, project, {
        "summary": "Un espace de dialogue pour les jeunes.",
        "objectives": "Former 40 jeunes au dialogue citoyen.",
        "start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 12, 31),
    }, project.version)
    services.add_budget_line(actor, project, {"category": "events", "description": "Ateliers",
                                              "amount": Decimal("30000"),
                                              "funder": "programme", "in_kind": False})
    services.add_activity(actor, project, {"title": "Atelier de lancement",
                                           "planned_start": dt.date(2026, 3, 10),
                                           "planned_end": dt.date(2026, 3, 12)})
    services.add_indicator(actor, project, {
        "level": "output", "name": "Jeunes formés", "unit": "personnes",
        "baseline": Decimal("0"), "target": Decimal("40"), "disaggregated": False,
        "counts_people": True})
    db.session.flush()
    return project


@pytest.fixture
def project(agent, commune, association):
    return make_project(agent, commune, association)
