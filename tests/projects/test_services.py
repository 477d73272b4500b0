"""Creating, co-editing (optimistic lock), budget, and the audit of every change."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.projects import services
from tadafur.projects.models import Theme
from tests.projects.conftest import make_project


def test_reference_is_year_region_and_four_digit_sequence(agent, commune, association):
    first = make_project(agent, commune, association)
    second = make_project(agent, commune, association)
    region = commune.province.region.code
    year = first.created_at.year
    assert first.reference.startswith(f"TDF-{year}-{region}-")
    assert len(first.reference.rsplit("-", 1)[1]) == 4
    assert int(second.reference[-4:]) == int(first.reference[-4:]) + 1


def test_created_project_is_a_draft_of_the_default_workflow_and_audited(project):
    assert project.state == "draft" and project.workflow_name == "co_creation"
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id))]
    assert "project.created" in actions and "project.workflow_started" in actions


def test_member_creates_only_for_own_association(member, association, other_association,
                                                 commune):
    make_project(member, commune, association)
    with pytest.raises(services.ProjectError) as refusal:
        make_project(member, other_association.commune, other_association)
    assert refusal.value.field == "commune_id"


def test_update_records_only_changed_values_with_before_and_after(project, member):
    services.update_project(member, project, {"title_fr": "Nouveau titre", "place": "Centre"},
                            project.version)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.project_id == project.id, AuditEvent.action == "project.updated")).one()
    before, after = json.loads(event.before), json.loads(event.after)
    assert before == {"title_fr": "Projet d'essai", "place": "", "version": 1}
    assert after == {"title_fr": "Nouveau titre", "place": "Centre", "version": 2}
    assert verify_chain().intact


def test_stale_save_is_a_conflict_naming_the_other_change_and_saves_nothing(project, agent,
                                                                             member):
    opened_at = project.version
    services.update_project(agent, project, {"title_fr": "Titre de la commune"}, opened_at)
    with pytest.raises(services.ProjectConflict) as conflict:
        services.update_project(member, project, {"title_fr": "Titre de l'association"},
                                opened_at)
    change = conflict.value.changes[0]
    assert (change.field, change.before, change.after) == (
        "title_fr", "Projet d'essai", "Titre de la commune")
    assert change.actor == agent.email
    assert conflict.value.current_version == opened_at + 1
    db.session.refresh(project)
    assert project.title_fr == "Titre de la commune"


def test_nothing_changed_writes_nothing(project, agent):
    count = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    services.update_project(agent, project, {"title_fr": project.title_fr}, project.version)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == count
    assert project.version == 1


def test_budget_summary_gives_each_funders_share(project, agent):
    for funder, amount, in_kind in (("commune", "20000", False), ("programme", "50000", False),
                                    ("association", "30000", True)):
        services.add_budget_line(agent, project, {
            "category": "events", "description": funder, "amount": Decimal(amount),
            "funder": funder, "in_kind": in_kind})
    summary = services.budget_summary(project)
    shares = {s.funder: s for s in summary.shares}
    assert summary.total == Decimal("100000") and summary.public == Decimal("70000")
    assert shares["programme"].share == Decimal("50.0")
    assert shares["association"].in_kind == Decimal("30000")
    line = project.budget_lines[0]
    services.remove_budget_line(agent, project, line.id)
    assert services.budget_summary(project).total == Decimal("80000")


def test_content_edit_bumps_content_version(project, agent):
    services.add_activity(agent, project, {"title": "Atelier", "planned_start": None,
                                           "planned_end": None})
    assert project.content_version == 2


def test_themes_are_seeded_once_in_three_languages(themes):
    assert services.seed_themes() == 0
    codes = {t.code for t in themes}
    assert {"youth_participation", "women_participation", "dialogue_spaces",
            "digital_participation", "environment", "culture", "social_inclusion"} <= codes
    assert all(t.name_ar and t.name_fr and t.name_en for t in db.session.scalars(select(Theme)))
