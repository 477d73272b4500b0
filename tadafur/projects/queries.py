"""Reading projects without changing them: the filtered list (scoped by access), the choices
the forms offer, what the workflow says about a project (states, phases, gates, overdue), its
documents and audit events, and stored values as a person reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tadafur import access
from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role, User
from tadafur.audit import wording
from tadafur.audit.models import AuditEvent
from tadafur.documents import services as documents
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Association, Commune, Province, Region
from tadafur.projects.errors import OtherChange
from tadafur.projects.models import (
    Project,
    Theme,
    project_partner,
    project_theme,
)
from tadafur.workflow import awaiting, counts, services as workflow
from tadafur.workflow.guards import missing_for_proposal as missing
from tadafur.workflow.labels import translate


def all_themes(active_only: bool = False) -> list[Theme]:
    statement = select(Theme).order_by(Theme.id)
    if active_only:
        statement = statement.where(Theme.active)
    return list(db.session.scalars(statement))


@dataclass
class ProjectFilter:
    text: str = ""
    region_id: int | None = None
    province_id: int | None = None
    commune_id: int | None = None
    association_id: int | None = None
    phase: str = ""
    state: str = ""
    theme_id: int | None = None
    overdue: bool = False

    def as_args(self) -> dict[str, Any]:
        """The query-string form (for links and the pushed URL); empty values left out."""
        args = {"q": self.text, "region": self.region_id, "province": self.province_id,
                "commune": self.commune_id, "association": self.association_id,
                "phase": self.phase, "state": self.state, "theme": self.theme_id,
                "overdue": "1" if self.overdue else None}
        return {k: v for k, v in args.items() if v not in (None, "")}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_statement(user: User, criteria: ProjectFilter) -> Any:
    """SELECT of the projects `user` may see that match `criteria` (no order, no limit)."""
    statement = access.visible_projects(select(Project), user)
    if criteria.text:
        pattern = f"%{_escape_like(criteria.text.lower())}%"
        statement = statement.where(or_(
            func.lower(Project.reference).like(pattern, escape="\\"),
            func.lower(Project.title_fr).like(pattern, escape="\\"),
            Project.title_ar.like(f"%{_escape_like(criteria.text)}%", escape="\\"),
        ))
    if criteria.commune_id:
        statement = statement.where(Project.commune_id == criteria.commune_id)
    if criteria.province_id or criteria.region_id:
        communes = select(Commune.id).join(Province, Commune.province_id == Province.id)
        if criteria.province_id:
            communes = communes.where(Province.id == criteria.province_id)
        if criteria.region_id:
            communes = communes.where(Province.region_id == criteria.region_id)
        statement = statement.where(Project.commune_id.in_(communes))
    if criteria.association_id:
        statement = statement.where(or_(
            Project.lead_association_id == criteria.association_id,
            Project.id.in_(select(project_partner.c.project_id).where(
                project_partner.c.association_id == criteria.association_id))))
    if criteria.theme_id:
        statement = statement.where(Project.id.in_(
            select(project_theme.c.project_id).where(
                project_theme.c.theme_id == criteria.theme_id)))
    if criteria.state:
        statement = statement.where(Project.state == criteria.state)
    if criteria.phase:
        statement = statement.where(Project.state.in_(states_in_phase(criteria.phase)))
    if criteria.overdue:
        statement = statement.where(overdue_clause())
    return statement


def search_projects(user: User, criteria: ProjectFilter, *, after_id: int | None = None,
                    limit: int = 25) -> list[Project]:
    """One page, newest first, by keyset (`after_id` = last id of the previous page)."""
    statement = filtered_statement(user, criteria)
    if after_id:
        statement = statement.where(Project.id < after_id)
    statement = (statement.options(
        joinedload(Project.commune).joinedload(Commune.province).joinedload(Province.region),
        joinedload(Project.lead_association))
        .order_by(Project.id.desc()).limit(limit))
    return list(db.session.scalars(statement).unique())


def filter_options() -> dict[str, list]:
    """The choices of the list's filters (reference data, the same for everyone)."""
    return {
        "regions": list(db.session.scalars(select(Region).where(Region.in_programme)
                                           .order_by(Region.name_fr))),
        "provinces": list(db.session.scalars(
            select(Province).join(Region).where(Region.in_programme)
            .order_by(Province.name_fr))),
        "communes": list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                            .order_by(Commune.name_fr))),
        "associations": list(db.session.scalars(select(Association)
                                                .order_by(Association.name_fr))),
        "themes": all_themes(), "phases": phase_choices(), "states": state_choices(),
    }


def association_choices(commune_ids: list[int] | None = None,
                        association_ids: list[int] | None = None) -> list[tuple[int, str]]:
    """Associations for a select: all, or those of the communes and the ones named."""
    statement = select(Association).order_by(Association.name_fr)
    if commune_ids is not None or association_ids is not None:
        statement = statement.where(or_(Association.commune_id.in_(commune_ids or []),
                                        Association.id.in_(association_ids or [])))
    return [(a.id, a.name) for a in db.session.scalars(statement)]


def creation_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(communes, lead associations) a user may create a project for: their own commune(s),
    or the commune of their association, which then leads."""
    commune_ids = [m.commune_id for m in user.memberships
                   if m.commune_id and Role(m.role) in COMMUNE_ROLES]
    association_ids = [m.association_id for m in user.memberships
                       if m.association_id and Role(m.role) in ASSOCIATION_ROLES]
    commune_ids += list(db.session.scalars(
        select(Association.commune_id).where(Association.id.in_(association_ids))))
    communes = [(c.id, c.name) for c in db.session.scalars(
        select(Commune).where(Commune.id.in_(commune_ids)).order_by(Commune.name_fr))]
    if association_ids:
        return communes, association_choices(association_ids=association_ids)
    return communes, association_choices(commune_ids=commune_ids)


def audit_events_of(project: Project, limit: int = 100) -> list[AuditEvent]:
    """The project's audit trail, newest first (what its History tab shows)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id)
        .order_by(AuditEvent.seq.desc()).limit(limit)))


def state_counts(user: User) -> list[tuple[str, int]]:
    """How many projects are in each state, among those `user` may see: for the
    programme-wide roles from the counts kept per commune (60 rows, not every project)."""
    if access.sees_everything(user):
        awaiting.refresh_pending(db.session)  # this session's own moves included
        return sorted(counts.programme_counts(db.session), key=lambda row: (-row[1], row[0]))
    statement = access.visible_projects(
        select(Project.state, func.count(Project.id)), user).group_by(Project.state)
    return sorted(db.session.execute(statement).all(), key=lambda row: (-row[1], row[0]))


def project_or_404(project_id: int) -> Project:
    """The project named by a URL, or 404: the loader of `access.requires` on project routes
    of every module (the project page itself uses `load_for_page`, with what it shows)."""
    return db.get_or_404(Project, project_id)


def load_for_page(project_id: int) -> Project | None:
    """A project with what its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Project).where(Project.id == project_id).options(
            joinedload(Project.commune).joinedload(Commune.province).joinedload(Province.region),
            joinedload(Project.lead_association),
            selectinload(Project.partners), selectinload(Project.themes),
            selectinload(Project.budget_lines)))


def _definitions() -> list[Any]:
    return list(workflow.registry().definitions.values())


def _current_definition() -> Any:
    return workflow.registry().latest(workflow.default_name())


def phase_choices() -> list[tuple[str, str]]:
    return [(name, translate(label)) for name, label, _states in _current_definition().phases]


def state_choices() -> list[tuple[str, str]]:
    return [(state.name, translate(state.label))
            for state in _current_definition().states.values()]


def states_in_phase(phase: str) -> list[str]:
    """Every state of that phase, in any installed workflow version."""
    return sorted({state.name for definition in _definitions()
                   for state in definition.states.values() if state.phase == phase})


def overdue_clause(now: dt.datetime | None = None) -> Any:
    """SQL condition: the project stayed in its state longer than that state allows."""

    now = now or utcnow()
    conditions = [
        and_(Project.workflow_name == definition.name,
             Project.workflow_version == definition.version,
             Project.state == state.name,
             Project.state_entered_at < now - dt.timedelta(days=state.due_days))
        for definition in _definitions() for state in definition.states.values()
        if state.due_days and not state.final
    ]
    return or_(*conditions) if conditions else false()


def overdue_ids(projects: list[Project]) -> set[int]:
    return {p.id for p in projects if workflow.is_overdue(p)}


def gates_of(project: Project) -> dict[str, str]:
    return {name: translate(gate.label)
            for name, gate in workflow.definition_of(project).gates.items()}


def missing_for_proposal(project: Project) -> list[str]:
    return missing(project)


def field_kind(project: Project, trigger: str, name: str) -> str:
    """How an action's extra field is asked: date, integer, score, text or decision."""
    if name == "decision":
        return "decision"
    return workflow.field_types(project, trigger).get(name, "text")


DOCUMENTS_TEMPLATE = "documents/_project_documents.html"


def documents_template() -> str | None:
    """The documents module's tab fragment, when that module is installed."""

    try:
        current_app.jinja_env.get_template(DOCUMENTS_TEMPLATE)
    except TemplateNotFound:
        return None
    return DOCUMENTS_TEMPLATE


def documents_of(project: Project) -> list[Any]:
    return list(documents.documents_of(project))


def describe(field_name: str, value: Any, names: wording.Names | None = None) -> str:
    """A stored value (from the audit trail) as a person reads it, in the reader's language:
    an association, a commune or a theme by its name, a date by the calendar. `names`: the
    conflict_names() of the values a page shows, so that it reads one query per kind of
    object however many values it lists; without it, this value's ids are looked up."""
    if value in (None, "", []):
        return "—"
    if names is None:
        names = wording.names_of([(field_name, value)])
    return wording.value_words(field_name, value, names)


def conflict_names(changes: Iterable[OtherChange]) -> wording.Names:
    """The names of every id that other people's changes hold (before and after), for the
    edit form's conflict box: one query per kind of object."""
    return wording.names_of((change.field, value) for change in changes
                            for value in (change.before, change.after))
