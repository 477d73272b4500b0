"""Who hears about a project and whose action it awaits: the users acting for its parties, the
notifications, each user's tasks (a delegate's included), and the reminders and escalations
of overdue steps (for cron). Re-exported by tadafur.workflow.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import and_, false, or_, select

from tadafur.access import (
    acts_for,
    delegation_for,
    holds_role_for,
)
from tadafur.accounts.models import Membership, Role, User
from tadafur.core.urls import public_url
from tadafur.delegations.models import Delegation, delegation_project
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.notifications.models import Notification
from tadafur.notifications.services import notify
from tadafur.projects.models import Project
from tadafur.vocabulary import phrase, term, terms
from tadafur.workflow.queries import (
    Action,
    GateFacts,
    Task,
    available_actions,
    gate_status,
)
from tadafur.workflow.registry import (
    definition_of,
    due_at,
    registry,
)
from tadafur.workflow.schema import PARTY_ROLES
from tadafur.workflow.tasks import awaited_page


def project_link(project: Project) -> str | None:
    """The project's absolute address for notifications and e-mails (the public base URL,
    TADAFUR_PUBLIC_BASE_URL, when configured); None when unknown (cron without settings)."""

    for endpoint in ("projects.show",):
        if endpoint in current_app.view_functions:
            try:
                return public_url(endpoint, project_id=project.id)
            except Exception:  # the endpoint takes other arguments: try the next one
                continue
    return None


def notify_users(users, kind: str, project: Project, factory) -> None:
    notify(users, kind, project, factory, link=project_link(project))


def users_of(project: Project, parties, roles=None) -> list[User]:
    """Active users acting for `parties` of `project` (with one of `roles` if given)."""
    conditions = []
    if "commune" in parties:
        conditions.append(Membership.commune_id == project.commune_id)
    if "association" in parties:
        conditions.append(Membership.association_id.in_(project.association_ids))
    if "programme" in parties:
        conditions.append(Membership.role == Role.PROGRAMME_OFFICER.value)
    if not conditions:
        return []
    statement = select(User).join(Membership).where(User.active, or_(*conditions))
    if roles:
        statement = statement.where(Membership.role.in_([str(r) for r in roles]))
    return [u for u in db.session.scalars(statement.distinct()).unique()
            if any(acts_for(u, project, p, roles or PARTY_ROLES[p]) for p in parties)]


def awaited_actions(user: Any, project: Project, facts: GateFacts | None = None
                    ) -> list[Action]:
    """The actions the project waits for from `user`: sign-offs and primary next steps (not
    the optional ones such as suspend or reject)."""
    return [action for action in available_actions(user, project, facts)
            if (action.kind == "signoff" or action.style == "primary") and not action.blocked]


def awaited(user: Any) -> list[Task]:
    """The actions awaited from `user` (sign-offs and the primary next steps), most urgent
    first: every page of My tasks at once (tadafur.workflow.tasks reads them from the
    awaited_action table, a fixed number of queries whatever the number of projects)."""
    return awaited_page(user, per_page=None).tasks


def behalf_of(user: Any, project: Project) -> str | None:
    """Whom `user` would sign the current gate for, when only a delegation lets them."""
    gate = definition_of(project).state(project.state).gate
    if gate is None or any(holds_role_for(user, project, s.party, s.roles)
                           for s in gate.signers):
        return None
    for signer in gate.signers:
        mandate = delegation_for(user, project, signer.party, signer.roles)
        if mandate is not None:
            return mandate.delegator.full_name
    return None


def _notified(project: Project, kind: str, since: dt.datetime) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.project_id == project.id, Notification.kind == kind,
        Notification.created_at >= since)))


def delegates_of(project: Project, now: dt.datetime | None = None) -> list[User]:
    """Users holding a delegation that is valid today and covers `project`."""
    today = (now or utcnow()).date()
    return list(db.session.scalars(select(User).join(
        Delegation, Delegation.delegate_id == User.id).where(
        Delegation.revoked_at.is_(None), Delegation.starts_on <= today,
        Delegation.ends_on >= today,
        or_(Delegation.all_projects, Delegation.id.in_(
            select(delegation_project.c.delegation_id)
            .where(delegation_project.c.project_id == project.id)))).distinct()))


def _past_due(now: dt.datetime) -> Any:
    """SQL for "the current state's due date (entered + its `due_days`) is past", from the
    definitions: the programme's projects are not loaded to find the few overdue ones."""
    clauses = [and_(Project.workflow_name == name, Project.workflow_version == version,
                    Project.state == state_name,
                    Project.state_entered_at < now - dt.timedelta(days=state.due_days))
               for (name, version), definition in registry().definitions.items()
               for state_name, state in definition.states.items()
               if state.due_days and not state.final]
    return or_(*clauses) if clauses else false()


def send_reminders(now: dt.datetime | None = None) -> int:
    """Overdue steps, for cron: after the state's due days, one `overdue` notification to
    each awaited user (a delegate who may sign included); after twice that, when a sign-off
    is still missing, one `escalated` notification to the programme officers."""
    now = now or utcnow()
    sent = 0
    projects = db.session.scalars(select(Project).where(_past_due(now)).order_by(Project.id))
    for project in projects:
        due = due_at(project)
        if due is None or due >= now:
            continue
        already = _notified(project, "overdue", project.state_entered_at)
        candidates = {u.id: u for u in [
            *users_of(project, ("commune", "association", "programme")),
            *delegates_of(project, now)]}
        users = [u for u in candidates.values()
                 if u.id not in already and awaited_actions(u, project)]
        if users:
            notify_users(users, "overdue", project,
                         phrase("%(reference)s is overdue at the stage “%(state)s”: your "
                                "action is awaited.", reference=project.reference,
                                state=term("state", project.state)))
            sent += len(users)
        sent += _escalate(project, due, now)
    return sent


def _escalate(project: Project, due: dt.datetime, now: dt.datetime) -> int:
    """Twice the due days and a sign-off still missing: tell the programme officers."""
    if now < due + (due - project.state_entered_at):
        return 0
    status = gate_status(project)
    if status is None or not status.missing:
        return 0
    already = _notified(project, "escalated", project.state_entered_at)
    officers = [u for u in users_of(project, ("programme",)) if u.id not in already]
    if not officers:
        return 0
    missing = list(status.missing)
    notify_users(officers, "escalated", project,
                 phrase("%(reference)s: sign-offs overdue for twice the time allowed at the "
                        "stage “%(state)s” (missing: %(parties)s).",
                        reference=project.reference, state=term("state", project.state),
                        parties=terms("party", missing)))
    return len(officers)
