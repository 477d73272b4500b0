"""Authorization: the one place that decides who may see and do what on which object.

Every view is wrapped by exactly one of `public`, `authenticated` or `requires`; a test walks
the URL map and fails on a view without one. Rules are registered here (and only here) with
`rule`. Ministry reviewers read everything and change nothing: any rule marked `writes=True`
is refused to a user whose only roles are read-only, whatever the rule's body says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select

from tadafur.accounts.mandates import (  # moved; importable from here as before
    DELEGABLE_ROLES as DELEGABLE_ROLES,
    READ_ONLY_ROLES as READ_ONLY_ROLES,
    acts_for as acts_for,
    delegated_roles as delegated_roles,
    delegation_for as delegation_for,
    holds_role_for as holds_role_for,
    in_association_scope as in_association_scope,
    in_commune_scope as in_commune_scope,
    is_member_of_same_organisation as is_member_of_same_organisation,
    is_read_only as is_read_only,
    lapsed_delegation_for as lapsed_delegation_for,
    party_of as party_of,
)
from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role
from tadafur.accounts.scope import scope_of
from tadafur.projects.models import Project, project_partner
from tadafur.workflow.registry import definition_of

OVERSIGHT_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.MINISTRY_REVIEWER, Role.ADMIN})

Check = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Rule:
    name: str
    check: Check
    writes: bool


RULES: dict[str, Rule] = {}


def rule(name: str, *, writes: bool) -> Callable[[Check], Check]:
    """Register a permission check `check(user, obj) -> bool` under `name`."""

    def register(check: Check) -> Check:
        if name in RULES:
            raise ValueError(f"permission {name!r} is defined twice")
        RULES[name] = Rule(name, check, writes)
        return check

    return register


def can(user: Any, permission: str, obj: Any = None) -> bool:
    """True when `user` may exercise `permission` (on `obj`, when the rule looks at one)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    try:
        permission_rule = RULES[permission]
    except KeyError:
        raise LookupError(f"unknown permission {permission!r}") from None
    if permission_rule.writes and is_read_only(user):
        return False
    return bool(permission_rule.check(user, obj))


# ---------------------------------------------------------------- view decorators

def public(view: Callable) -> Callable:
    """Open to everyone, logged in or not (login page, verification page)."""
    view.access_rule = "public"
    return view


def authenticated(view: Callable) -> Callable:
    """Any logged-in user; the view shows only what is theirs."""
    wrapped = login_required(view)
    wrapped.access_rule = "authenticated"
    return wrapped


def requires(permission: str, load: Callable[..., Any] | None = None) -> Callable:
    """Log-in plus `permission`, checked on the object `load(**view_args)` returns.

    `load` should 404 for a missing object; the permission check then 403s.
    """
    if permission not in RULES:
        raise LookupError(f"unknown permission {permission!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            obj = load(**kwargs) if load is not None else None
            if not can(current_user, permission, obj):
                abort(403)
            if load is not None:
                return view(obj, *args, **{k: v for k, v in kwargs.items()
                                           if k not in _loader_args(load)})
            return view(*args, **kwargs)

        wrapped = login_required(guarded)
        wrapped.access_rule = permission
        return wrapped

    return decorate


def _loader_args(load: Callable) -> set[str]:
    code = getattr(load, "__code__", None)
    return set(code.co_varnames[: code.co_argcount]) if code else set()


def template_can(permission: str, obj: Any = None) -> bool:
    return can(current_user, permission, obj)


# ---------------------------------------------------------------- the rules

@rule("users.manage", writes=True)
def _manage_users(user, _obj) -> bool:
    return user.has_role(Role.ADMIN)


@rule("reference.manage", writes=True)
def _manage_reference(user, _obj) -> bool:
    """Communes, provinces and themes: administrators only."""
    return user.has_role(Role.ADMIN)


@rule("associations.manage", writes=True)
def _manage_associations(user, _obj) -> bool:
    return user.has_role(Role.ADMIN, Role.PROGRAMME_OFFICER)


@rule("reference.view", writes=False)
def _view_reference(user, _obj) -> bool:
    return True


@rule("audit.view", writes=False)
def _view_audit(user, _obj) -> bool:
    """Oversight roles review every commune; commune users their own commune's events;
    outside auditors the communes and projects of their grant."""
    return user.has_role(*OVERSIGHT_ROLES, *COMMUNE_ROLES) or bool(auditor_scope(user))


@rule("audit.integrity", writes=True)
def _check_integrity(user, _obj) -> bool:
    """Start a verification run, export a chain head: programme officers and admins."""
    return user.has_role(Role.PROGRAMME_OFFICER, Role.ADMIN)


@rule("jobs.manage", writes=True)
def _manage_jobs(user, _obj) -> bool:
    """See the background tasks of every project, start a failed one again: programme
    officers and admins."""
    return user.has_role(Role.PROGRAMME_OFFICER, Role.ADMIN)


def sees_everything(user: Any) -> bool:
    """Programme officers, ministry reviewers and administrators see every commune."""
    return user.has_role(*OVERSIGHT_ROLES)


def template_helpers() -> dict:
    return {"can": template_can}


# ---------------------------------------------------------------- projects


def auditor_scope(user: Any):

    return scope_of(user)


def in_auditor_scope(user: Any, project: Any) -> bool:
    scope = auditor_scope(user)
    return project.commune_id in scope.commune_ids or project.id in scope.project_ids


@rule("project.view", writes=False)
def _view_project(user, project) -> bool:
    return (sees_everything(user) or bool(party_of(user, project) - {"programme"})
            or in_auditor_scope(user, project))


@rule("project.create", writes=True)
def _create_project(user, _obj) -> bool:
    return user.has_role(Role.COMMUNE_AGENT, Role.ASSOCIATION_MEMBER)


@rule("project.edit", writes=True)
def _edit_project(user, project) -> bool:
    """Both sides co-write; whether the state allows editing is the workflow's call."""
    return bool(party_of(user, project) & {"commune", "association"})


@rule("project.act", writes=True)
def _act_on_project(user, project) -> bool:
    """May attempt workflow actions; the workflow definition decides which ones."""
    return bool(party_of(user, project))


@rule("project.discuss", writes=True)
def _discuss_project(user, project) -> bool:
    return bool(party_of(user, project))


def visible_projects(statement: Any, user: Any) -> Any:
    """Restrict a SELECT over Project to what `user` may see (one place for list scoping)."""
    if sees_everything(user):
        return statement
    commune_ids = [m.commune_id for m in user.memberships
                   if m.commune_id and Role(m.role) in COMMUNE_ROLES]
    association_ids = [m.association_id for m in user.memberships
                       if m.association_id and Role(m.role) in ASSOCIATION_ROLES]
    conditions = []
    audited = auditor_scope(user)
    commune_ids += list(audited.commune_ids)
    if audited.project_ids:
        conditions.append(Project.id.in_(audited.project_ids))
    if commune_ids:
        conditions.append(Project.commune_id.in_(commune_ids))
    if association_ids:
        conditions.append(Project.lead_association_id.in_(association_ids))
        conditions.append(Project.id.in_(
            select(project_partner.c.project_id)
            .where(project_partner.c.association_id.in_(association_ids))))
    return statement.where(or_(*conditions) if conditions else false())


# ---------------------------------------------------------------- workflow


# ------------------------------------------------------- delegation and amendments (issue 8)


@rule("delegations.view", writes=False)
def _view_delegations(user, _obj) -> bool:
    """Everyone signed in sees the delegations they gave and received."""
    return True


@rule("delegation.grant", writes=True)
def _grant_delegation(user, _obj) -> bool:
    """Only someone who signs in their own right (a signatory role of theirs)."""
    return bool(user.roles & DELEGABLE_ROLES)


@rule("delegation.revoke", writes=True)
def _revoke_delegation(user, delegation) -> bool:
    return delegation.delegator_id == user.id or user.has_role(Role.ADMIN)


@rule("amendment.propose", writes=True)
def _propose_amendment(user, project) -> bool:
    """Either side of the convention proposes; whether the state allows it is the service's."""
    return bool(party_of(user, project) & {"commune", "association"})


@rule("amendment.view", writes=False)
def _view_amendment(user, amendment) -> bool:
    return can(user, "project.view", amendment.project)


@rule("amendment.sign", writes=True)
def _sign_amendment(user, amendment) -> bool:
    """Try to sign: the service checks the party, the role and any delegation."""
    return can(user, "project.view", amendment.project) or bool(
        getattr(user, "received_delegations", None))


@rule("project.list", writes=False)
def _list_projects(user, _obj) -> bool:
    """Every signed-in user has a project list; `visible_projects` decides what is in it."""
    return True


# ---------------------------------------------------------------- documents

@rule("document.view", writes=False)
def _view_document(user, document) -> bool:
    """A registered document: whoever may see its project. A programme-wide one (an audit
    extract across projects, scoped to its author's view): its author and the programme."""
    if document.project is None:
        return document.created_by_id == user.id or sees_everything(user)
    return can(user, "project.view", document.project)


@rule("document.generate", writes=True)
def _generate_document(user, project) -> bool:
    return bool(party_of(user, project))


# ---------------------------------------------------------------- oversight

@rule("dashboards.view", writes=False)
def _view_dashboards(user, _obj) -> bool:
    return sees_everything(user)


@rule("project.publish", writes=True)
def _publish_project(user, _project) -> bool:
    """The programme officer approves a project's publication in the open data."""
    return user.has_role(Role.PROGRAMME_OFFICER)


@rule("evidence.download", writes=False)
def _download_evidence(user, project) -> bool:
    """Programme officers, ministry reviewers, admins, and auditors within their grant."""
    return sees_everything(user) or in_auditor_scope(user, project)


# ---------------------------------------------------------------- execution
# Who records what once a project is in execution (the state check, in_execution only, is
# `tadafur.execution.services.accepts_records`):
# - tranches: each funder for its own share: the programme officer for the programme grant
#   (and other funders), a commune user for the commune's share, an association user for the
#   association's own contribution;
# - expenses, activity progress, indicator values and evidence files: the two partners, the
#   commune and the association (those who carry out the project);
# - evidence downloads: whoever may see the project (ministry reviewers and auditors in scope
#   included). Ministry reviewers read only (every rule here but the download writes).

def tranche_funders(user: Any, project: Any) -> set[str]:
    """The funders whose tranches `user` may record on `project`."""
    if user is None or not user.is_authenticated or is_read_only(user):
        return set()
    sides = party_of(user, project)
    funders = set()
    if "programme" in sides:
        funders |= {"programme", "other"}
    if "commune" in sides:
        funders.add("commune")
    if "association" in sides:
        funders.add("association")
    return funders


@rule("tranche.record", writes=True)
def _record_tranche(user, project) -> bool:
    return bool(tranche_funders(user, project))


@rule("execution.record", writes=True)
def _record_execution(user, project) -> bool:
    """Expenses, activity progress and indicator values: the commune and the association."""
    return bool(party_of(user, project) & {"commune", "association"})


@rule("attachment.upload", writes=True)
def _upload_attachment(user, project) -> bool:
    return bool(party_of(user, project) & {"commune", "association"})


@rule("attachment.download", writes=False)
def _download_attachment(user, attachment) -> bool:
    """An evidence file: whoever may see its project (not the auditors' `evidence.download`
    package, which is the oversight roles' and auditors' only)."""
    return can(user, "project.view", attachment.project)


# ---------------------------------------------------------------- monitoring, follow-up, evaluation
# Who writes, validates and scores is the workflow definition's `reports:` section; these rules
# let through the users who act for one of the parties it names. Whether the project's state
# allows it is decided by tadafur.reporting.services (409 otherwise). Reviewers read only.

def _reports_rules(project: Any):

    return definition_of(project).reports


def _acts_for_one_of(user: Any, project: Any, signers) -> bool:
    return any(acts_for(user, project, s.party, s.roles) for s in signers)


@rule("reports.view", writes=False)
def _view_reports(user, project) -> bool:
    return can(user, "project.view", project)


@rule("reports.write", writes=True)
def _write_monitoring_reports(user, project) -> bool:
    return _acts_for_one_of(user, project, _reports_rules(project).monitoring_authors)


@rule("reports.validate", writes=True)
def _validate_monitoring_reports(user, project) -> bool:
    return _acts_for_one_of(user, project, _reports_rules(project).monitoring_validators)


@rule("final_report.write", writes=True)
def _write_final_report(user, project) -> bool:
    return _acts_for_one_of(user, project, _reports_rules(project).final_authors)


@rule("evaluation.score", writes=True)
def _score_evaluation(user, project) -> bool:
    return _acts_for_one_of(user, project, _reports_rules(project).evaluation_scorers)


# ---------------------------------------------------------------- capitalisation (showcase)

@rule("project.replicate", writes=True)
def _replicate_project(user, project) -> bool:
    """Start a new draft from a project: who may create projects, from a published project
    or one they may see."""
    return user.has_role(Role.COMMUNE_AGENT, Role.ASSOCIATION_MEMBER) and (
        bool(project.publication_approved) or can(user, "project.view", project))


@rule("lessons.view", writes=False)
def _view_lessons(user, _obj) -> bool:
    """The lessons library: the programme's partners (anyone holding a role); it shows
    published projects' lessons and those of the projects the user may see."""
    return bool(user.roles)


@rule("photo.publish", writes=True)
def _publish_photo(user, project) -> bool:
    """The association decides which of its photos may be published (consent confirmed)."""
    return "association" in party_of(user, project)
