"""Start from this project: a commune or an association of another commune starts a new draft
that copies the source's plan.

Copied: titles, summary, objectives, target groups, themes, the activities (without their
dates or progress), the indicators with their targets and their baselines cleared (the new
commune measures its own), the budget lines by category, with their amounts or at zero.
Never copied: the people, partner associations, place, dates, beneficiaries, documents,
sign-offs, discussion, execution records or reports. The new project is created through the
projects module's services (numbering, workflow, audit) and records where it came from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from tadafur.access import can
from tadafur.audit.services import record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.projects import services as projects
from tadafur.projects.models import Project
from tadafur.showcase.models import Replication


class ReplicationError(TadafurError):
    """A refusal with its translated message and the form field it concerns."""


def may_start_from(user: Any, source: Project) -> bool:
    """Published projects are everyone's to start from; others, for those who see them."""
    return can(user, "project.replicate", source)


def start_from(actor: Any, source: Project, values: dict) -> Project:
    """The new draft in `values['commune_id']`, led by `values['lead_association_id']`;
    with `values['with_amounts']` the budget lines keep their amounts. Flushes; audited."""
    if not may_start_from(actor, source):
        raise ReplicationError(_("You cannot start from this project."))
    choices = projects.creation_choices(actor)
    if values.get("commune_id") not in {cid for cid, _name in choices[0]}:
        raise ReplicationError(_("Choose your commune."), "commune_id")
    if values.get("lead_association_id") not in {aid for aid, _name in choices[1]}:
        raise ReplicationError(_("Choose the lead association."), "lead_association_id")
    try:
        project = projects.create_project(actor, {
            "commune_id": values["commune_id"],
            "lead_association_id": values["lead_association_id"],
            "title_ar": source.title_ar, "title_fr": source.title_fr,
            "summary": source.summary, "objectives": source.objectives,
            "target_groups": source.target_groups,
            "theme_ids": [theme.id for theme in source.themes if theme.active]})
    except projects.ProjectError as error:
        raise ReplicationError(error.message, error.field) from error
    with_amounts = bool(values.get("with_amounts"))
    for activity in source.activities:
        projects.add_activity(actor, project, {"title": activity.title, "planned_start": None,
                                               "planned_end": None})
    for indicator in source.indicators:
        projects.add_indicator(actor, project, {
            "level": indicator.level, "name": indicator.name, "unit": indicator.unit,
            "baseline": Decimal("0"), "target": indicator.target,
            "disaggregated": indicator.disaggregated,
            "counts_people": indicator.counts_people})
    for line in source.budget_lines:
        projects.add_budget_line(actor, project, {
            "category": line.category, "description": line.description,
            "amount": line.amount if with_amounts else Decimal("0"), "funder": line.funder,
            "in_kind": line.in_kind})
    replication = Replication(project_id=project.id, source_project_id=source.id,
                              with_amounts=with_amounts, created_by_id=actor.id)
    db.session.add(replication)
    db.session.flush()
    record("project.replicated", obj=replication, project=project, actor=actor,
           summary=f"{source.reference} -> {project.reference}",
           after={"source_project_id": source.id, "source_reference": source.reference,
                  "project_id": project.id, "reference": project.reference,
                  "with_amounts": with_amounts, "activities": len(source.activities),
                  "indicators": len(source.indicators),
                  "budget_lines": len(source.budget_lines)})
    return project
