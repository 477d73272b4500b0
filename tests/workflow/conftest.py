"""Workflow test helpers: projects built directly (with budget and activities) and started in
their workflow, and a `walk` helper that fires as a given user and commits like a request."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.projects.models import Activity, BudgetLine, Indicator, Project
from tadafur.workflow import services
from tests.factories import PASSWORD

_numbers = itertools.count(1)


def build_project(commune, association, creator=None, *, public: Decimal = Decimal("80000"),
                  complete: bool = True, activities: int = 2, start: bool = True) -> Project:
    """A project of `commune` led by `association`; `public` MAD from commune + programme."""
    n = next(_numbers)
    project = Project(
        reference=f"TDF-TEST-WF-{n:05d}", commune_id=commune.id,
        lead_association_id=association.id,
        title_fr=f"Espace jeunesse {n}" if complete else "", title_ar=f"فضاء الشباب {n}",
        summary="Un espace de dialogue pour les jeunes." if complete else "",
        objectives="Participation des jeunes." if complete else "",
        start_date=dt.date(2026, 1, 1) if complete else None,
        end_date=dt.date(2026, 12, 31) if complete else None,
    )
    if complete:
        half = (public / 2).quantize(Decimal("0.01"))
        project.budget_lines = [
            BudgetLine(position=1, category="equipment", description="Mobilier",
                       amount=half, funder="programme"),
            BudgetLine(position=2, category="works", description="Aménagement",
                       amount=public - half, funder="commune"),
            BudgetLine(position=3, category="staff", description="Animateurs",
                       amount=Decimal("10000"), funder="association", in_kind=True),
        ]
        project.activities = [Activity(position=i, title=f"Activité {i}")
                              for i in range(1, activities + 1)]
        project.indicators = [Indicator(position=1, level="output", name="Jeunes formés",
                                        unit="personnes", baseline=Decimal("0"),
                                        target=Decimal("40"))]
    if start:
        services.start(project, creator)
    else:
        db.session.add(project)
    db.session.flush()
    return project


def act(user, project, trigger, **kwargs):
    """Fire as `user`, then commit like the request would."""
    if trigger.startswith("signoff:"):
        kwargs.setdefault("password", PASSWORD)
    services.fire(user, project, trigger, **kwargs)
    db.session.commit()


@pytest.fixture
def make_project(commune, association, agent):
    def make(**kwargs):
        kwargs.setdefault("creator", agent)
        return build_project(kwargs.pop("commune", commune),
                             kwargs.pop("association", association), **kwargs)

    return make


@pytest.fixture
def project(make_project):
    return make_project()


# Recorded dates may not lie in the future nor before the project was created (the
# workflow's `dates:` rules): the walk records them on the day it runs, read from the app's
# clock when used. Module constants kept the day the suite was collected: a run that crossed
# midnight (UTC) had every project created "tomorrow" and its dates refused.
def deliberation() -> dict[str, str]:
    return {"session_date": today().isoformat(), "session_number": "12/2026", "vote_for": "21",
            "vote_against": "2", "vote_abstain": "1"}


def selection() -> dict[str, str]:
    return {"committee_date": today().isoformat(), "score": "78.5"}


def visa() -> dict[str, str]:
    return {"visa_date": today().isoformat(), "visa_reference": "V-2026-113"}


def to_state(project, target, *, agent, president, chair, officer, member):
    """Walk the default workflow from draft up to `target` with the right users."""
    steps = [
        ("draft", president, "signoff:endorsement", {}),
        ("draft", chair, "signoff:endorsement", {}),
        ("draft", agent, "submit", {}),
        ("submitted", officer, "declare_eligible", {}),
        ("selection", officer, "record_selection", {"data": selection()}),
        ("council_deliberation", agent, "record_deliberation", {"data": deliberation()}),
        ("governor_visa", agent, "record_visa", {"data": visa()}),
        ("decision", officer, "prepare_convention", {}),
        ("convention_signature", president, "signoff:convention", {}),
        ("convention_signature", chair, "signoff:convention", {}),
        ("convention_signature", officer, "signoff:convention", {}),
    ]
    for state, user, trigger, kwargs in steps:
        if project.state == target:
            return
        assert project.state == state, (project.state, state)
        act(user, project, trigger, **kwargs)
    assert project.state == target


@pytest.fixture(autouse=True)
def document_doubles(monkeypatch):
    """The engine's tests run with the fake convention (no PDF rendering): fast and about the
    workflow only. The real producer is exercised by the documents module's tests."""
    from tadafur.workflow import hooks
    from tests.workflow import doubles

    doubles.FAKE_DOCUMENTS.clear()
    monkeypatch.setattr(hooks, "DOCUMENT_PRODUCERS", dict(doubles.FAKE_PRODUCERS))
    monkeypatch.setattr(hooks, "DOCUMENT_LOOKUP", [doubles.fake_lookup])
    monkeypatch.setattr(hooks, "DOCUMENT_LOOKUP_MANY", [])  # the bulk lookup reads real rows
    monkeypatch.setattr(hooks, "GATE_COMPLETED", [])
    yield
    doubles.FAKE_DOCUMENTS.clear()
