"""My tasks read from the awaited_action table: one indexed query for a page of projects,
whatever the user's scope (a programme officer's is the whole programme), then the page's
rows and projects. Nothing else of the programme is loaded into Python.

The user is matched as a set of holdings, (party, organisation, role): their own memberships,
and the delegator's for each delegation valid today (the same conditions as
tadafur.accounts.mandates.delegation_for, checked here once per delegation instead of once
per project). Order: due date (overdue ones are the earliest), undated last, then project id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from tadafur.access import (
    is_member_of_same_organisation,
    is_read_only,
    sees_everything,
    visible_projects,
)
from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role
from tadafur.delegations.models import delegation_project
from tadafur.extensions import db
from tadafur.i18n import localized
from tadafur.models_base import utcnow
from tadafur.projects.models import Project
from tadafur.workflow.awaiting import refresh_pending
from tadafur.workflow.models import AwaitedAction
from tadafur.workflow.queries import Task, action_for
from tadafur.workflow.schema import SIGNOFF_PREFIX

AA = AwaitedAction
# What the panel shows of a project and what its actions are looked up by (ProjectLine):
# not the texts of the proposal, which would make a page of 50 projects heavy to read.
PAGE_COLUMNS = (Project.id, Project.reference, Project.title_ar, Project.title_fr,
                Project.state, Project.workflow_name, Project.workflow_version)


@dataclass(frozen=True)
class ProjectLine:
    """A project as one line of My tasks shows it (not an entity: nothing lazy to load)."""

    id: int
    reference: str
    title_ar: str
    title_fr: str
    state: str
    workflow_name: str
    workflow_version: int

    @property
    def title(self) -> str:
        return localized(self, "title")


@dataclass(frozen=True)
class Holding:
    """One way `user` holds `role` for `party` in an organisation (0: the programme); through
    `delegation` when it is the delegator's."""

    party: str
    organisation_id: int
    role: str
    delegation: Any = None

    @property
    def key(self) -> tuple[str, int, str]:
        return self.party, self.organisation_id, self.role

    def covers(self, project_id: int) -> bool:
        return self.delegation is None or self.delegation.covers(project_id)


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    page: int
    has_next: bool


def _held(membership: Any, delegation: Any = None) -> Holding | None:
    role = Role(membership.role)
    if role in COMMUNE_ROLES and membership.commune_id:
        return Holding("commune", membership.commune_id, role.value, delegation)
    if role in ASSOCIATION_ROLES and membership.association_id:
        return Holding("association", membership.association_id, role.value, delegation)
    if role == Role.PROGRAMME_OFFICER:
        return Holding("programme", 0, role.value, delegation)
    return None


def holdings(user: Any) -> list[Holding]:
    """What `user` may act as today: their memberships, then valid delegations' (one
    delegation is never passed on: only the delegator's own memberships count)."""
    if user is None or not user.is_active or is_read_only(user):
        return []
    own = [h for m in user.memberships if (h := _held(m)) is not None]
    today = utcnow().date()
    delegated = [h for d in user.received_delegations or ()
                 if d.active_on(today) and is_member_of_same_organisation(user, d)
                 and d.delegator.is_active
                 for m in d.delegator.memberships if m.role == d.role
                 if (h := _held(m, d)) is not None]
    keys = {h.key for h in own}
    return own + [h for h in delegated if h.key not in keys]


def _condition(holding: Holding) -> Any:
    condition = and_(AA.party == holding.party, AA.organisation_id == holding.organisation_id,
                     AA.role == holding.role)
    if holding.delegation is not None and not holding.delegation.all_projects:
        condition = and_(condition, AA.project_id.in_(
            select(delegation_project.c.project_id)
            .where(delegation_project.c.delegation_id == holding.delegation.id)))
    return condition


def _matching(user: Any, held: list[Holding]) -> Any:
    """The WHERE clause: the user's holdings, within what they may see."""
    condition = or_(*[_condition(h) for h in held])
    if not sees_everything(user):
        condition = and_(condition, AA.project_id.in_(
            visible_projects(select(Project.id), user)))
    return condition


def awaited_page(user: Any, page: int = 1, per_page: int | None = 50) -> TaskPage:
    """The tasks of one page of projects awaiting `user` (`per_page` None: all of them), in
    one statement: the page's projects (by the holder index, LIMIT/OFFSET), their rows and
    the few columns shown of each project."""
    page = max(page, 1)
    held = holdings(user)
    if not held:
        return TaskPage([], page, False)
    refresh_pending(db.session)
    where = _matching(user, held)
    chosen = (select(AA.project_id).where(where).group_by(AA.sort_at, AA.project_id)
              .order_by(AA.sort_at, AA.project_id))
    if per_page is not None:
        chosen = chosen.limit(per_page + 1).offset((page - 1) * per_page)
    rows = db.session.execute(
        select(AA.project_id, AA.party, AA.organisation_id, AA.role, AA.triggers, AA.due_at,
               AA.sort_at, *PAGE_COLUMNS)
        .join(Project, Project.id == AA.project_id)
        .where(AA.project_id.in_(chosen.scalar_subquery()), where)).all()
    ids = sorted({(r.sort_at, r.project_id) for r in rows})
    has_next = per_page is not None and len(ids) > per_page
    ids = ids[:per_page] if per_page is not None else ids
    return TaskPage(_tasks([i for _sort, i in ids], rows, held), page, has_next)


def _tasks(ids: list[int], rows: list[Any], held: list[Holding]) -> list[Task]:
    by_key: dict[tuple, list[Holding]] = {}
    for holding in held:
        by_key.setdefault(holding.key, []).append(holding)
    triggers: dict[int, dict[str, str | None]] = {i: {} for i in ids}
    projects: dict[int, ProjectLine] = {}
    due: dict[int, Any] = {}
    for row in rows:
        ways = [h for h in by_key.get((row.party, row.organisation_id, row.role), ())
                if h.covers(row.project_id)]
        if not ways or row.project_id not in triggers:
            continue
        behalf = None if any(h.delegation is None for h in ways) \
            else ways[0].delegation.delegator.full_name
        due[row.project_id] = row.due_at
        projects[row.project_id] = ProjectLine(*(getattr(row, c.key) for c in PAGE_COLUMNS))
        for trigger in row.triggers.split():
            found = triggers[row.project_id]
            # held in one's own right anywhere: not "on behalf of"
            found[trigger] = None if (trigger in found and found[trigger] is None) else behalf
    now = utcnow()
    tasks = []
    actions: dict[tuple, Any] = {}  # the page's projects share a few states: label them once
    for project_id in ids:
        project = projects.get(project_id)
        for trigger, behalf in triggers[project_id].items():
            key = (project.workflow_name, project.workflow_version, project.state, trigger)
            if key not in actions:
                actions[key] = action_for(project, trigger)
            action = actions[key]
            if action is None:
                continue
            when = due.get(project_id)
            tasks.append(Task(project, action, when, when is not None and when < now,
                              behalf if trigger.startswith(SIGNOFF_PREFIX) else None))
    return tasks
