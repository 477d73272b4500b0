"""Granting, revoking and expiring delegations of sign-off; every step audited.

Rules: the delegator delegates a role they hold themselves (never one received by
delegation), to another active member of the same organisation, for a period that has not
ended, over all their projects or some. Revocation takes effect at once. Expiry is recorded
once, by `expire_due` (run by `flask delegations expire` and by `flask reminders`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from tadafur import access
from tadafur.accounts import two_factor
from tadafur.accounts.models import Membership, Role, User
from tadafur.accounts.services import AccountError, check_password
from tadafur.audit.services import record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.notifications.models import Notification
from tadafur.notifications.services import notify
from tadafur.projects.models import Project
from tadafur.vocabulary import phrase
from tadafur.workflow import notices

from .models import Delegation

MAX_DAYS = 366
REASON_MAX = 1000
ROLE_LABELS = {
    Role.COMMUNE_SIGNATORY.value: _l("Commune signatory"),
    Role.ASSOCIATION_SIGNATORY.value: _l("Association signatory"),
    Role.PROGRAMME_OFFICER.value: _l("Programme officer"),
}


class DelegationError(TadafurError):
    """A refused delegation (translated message, and the form field it concerns)."""


@dataclass(frozen=True)
class Mandate:
    """A role its holder may delegate: the membership's role in its organisation."""

    membership_id: int
    role: str
    organisation: str

    @property
    def label(self) -> str:
        return f"{ROLE_LABELS.get(self.role, self.role)}: {self.organisation}"


def _organisation_name(membership: Membership) -> str:
    for attribute in ("commune", "association", "institution"):
        found = getattr(membership, attribute, None)
        if found is not None:
            return found.name
    return ""


def mandates_of(user: User) -> list[Mandate]:
    """The roles `user` holds in their own right and may delegate."""
    return [Mandate(m.id, m.role, _organisation_name(m)) for m in user.memberships
            if Role(m.role) in access.DELEGABLE_ROLES]


def colleagues_of(user: User, membership: Membership | None = None) -> list[User]:
    """Active members of the organisations of `user`'s delegable roles (not `user`)."""
    memberships = [membership] if membership else [
        m for m in user.memberships if Role(m.role) in access.DELEGABLE_ROLES]
    conditions = []
    for m in memberships:
        if m.commune_id:
            conditions.append(Membership.commune_id == m.commune_id)
        if m.association_id:
            conditions.append(Membership.association_id == m.association_id)
        if m.institution_id:
            conditions.append(Membership.institution_id == m.institution_id)
    if not conditions:
        return []
    return list(db.session.scalars(
        select(User).join(Membership).where(User.active, User.id != user.id, or_(*conditions),
                                            Membership.role != Role.MINISTRY_REVIEWER.value)
        .distinct().order_by(User.full_name)))


def given_by(user: User) -> list[Delegation]:
    return list(db.session.scalars(
        select(Delegation).where(Delegation.delegator_id == user.id)
        .options(selectinload(Delegation.projects)).order_by(Delegation.id.desc())))


def received_by(user: User) -> list[Delegation]:
    return list(db.session.scalars(
        select(Delegation).where(Delegation.delegate_id == user.id)
        .options(selectinload(Delegation.projects)).order_by(Delegation.id.desc())))


def _values(delegation: Delegation) -> dict:
    return {"delegator_id": delegation.delegator_id, "delegate_id": delegation.delegate_id,
            "role": delegation.role, "commune_id": delegation.commune_id,
            "association_id": delegation.association_id,
            "institution_id": delegation.institution_id,
            "starts_on": delegation.starts_on, "ends_on": delegation.ends_on,
            "all_projects": delegation.all_projects,
            "project_ids": sorted(delegation.project_ids), "reason": delegation.reason}


def grant(actor: User, *, membership_id: int | None, delegate_id: int | None,
          starts_on: dt.date | None, ends_on: dt.date | None, reason: str,
          project_ids: list[int] | None = None) -> Delegation:
    """Delegate the role of one of `actor`'s own memberships; audited (flush only)."""
    membership = next((m for m in actor.memberships if m.id == membership_id), None)
    if membership is None or Role(membership.role) not in access.DELEGABLE_ROLES:
        raise DelegationError(_("Choose one of your own signing roles: a right received by "
                                "delegation cannot be delegated again."), "membership_id")
    delegate = db.session.get(User, delegate_id) if delegate_id else None
    if delegate is None or delegate.id not in {u.id for u in colleagues_of(actor, membership)}:
        raise DelegationError(_("Choose an active member of the same organisation."),
                              "delegate_id")
    today = utcnow().date()
    if starts_on is None:
        raise DelegationError(_("Enter the first day of the delegation."), "starts_on")
    if ends_on is None:
        raise DelegationError(_("Enter the last day of the delegation."), "ends_on")
    if ends_on < starts_on:
        raise DelegationError(_("The end date must not be before the start date."), "ends_on")
    if ends_on < today:
        raise DelegationError(_("The delegation would already be over."), "ends_on")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise DelegationError(_("A delegation lasts at most %(days)d days.", days=MAX_DAYS),
                              "ends_on")
    reason = (reason or "").strip()
    if not reason:
        raise DelegationError(_("Say why you delegate."), "reason")
    if len(reason) > REASON_MAX:
        raise DelegationError(_("At most %(max)d characters.", max=REASON_MAX), "reason")
    projects: list[Project] = []
    if project_ids is not None and not project_ids:
        # "Only the projects chosen below" with none ticked: never widen it to all projects.
        raise DelegationError(_("Tick at least one project, or choose “All my projects”."),
                              "project_ids")
    if project_ids:
        wanted = set(project_ids)
        projects = [p for p in db.session.scalars(access.visible_projects(
            select(Project).where(Project.id.in_(wanted)), actor))
            if access.holds_role_for(actor, p, _party_of_role(membership.role),
                                     {membership.role})]
        if {p.id for p in projects} != wanted:
            raise DelegationError(_("Choose projects on which you sign yourself."),
                                  "project_ids")
    delegation = Delegation(
        delegator_id=actor.id, delegate_id=delegate.id, role=membership.role,
        commune_id=membership.commune_id, association_id=membership.association_id,
        institution_id=membership.institution_id, starts_on=starts_on, ends_on=ends_on,
        all_projects=not projects, reason=reason, created_at=utcnow())
    delegation.projects = projects
    db.session.add(delegation)
    db.session.flush()
    db.session.expire(delegate, ["received_delegations"])
    record("delegation.granted", obj=delegation, actor=actor,
           summary=f"{actor.full_name} -> {delegate.full_name} ({membership.role})",
           after=_values(delegation))
    notices.send("delegation_granted", None, users=[delegate], name=actor.full_name,
                 start=starts_on.isoformat(), end=ends_on.isoformat())
    return delegation


def confirm_identity(actor: User, password: str | None, code: str | None) -> None:
    """Granting or revoking a mandate to sign asks for the password again (and the second
    factor's code when the user has one), as signing does."""


    if not check_password(actor, password or ""):
        raise DelegationError(_("The password is not correct."), "password")
    try:
        two_factor.check_for_signing(actor, code, request.remote_addr
                                     if has_request_context() else "service")
    except AccountError as error:
        raise DelegationError(error.message, "code") from None


def _party_of_role(role: str) -> str:
    return {Role.COMMUNE_SIGNATORY.value: "commune",
            Role.ASSOCIATION_SIGNATORY.value: "association"}.get(role, "programme")


def _tell(user: User, factory: Any) -> None:
    notify([user], "delegation", None, factory)


def revoke(actor: User, delegation: Delegation) -> None:
    """End a delegation at once (the delegator or an administrator); audited."""
    if delegation.revoked_at is not None:
        raise DelegationError(_("This delegation was already revoked."))
    delegation.revoked_at, delegation.revoked_by_id = utcnow(), actor.id
    db.session.flush()
    db.session.expire(delegation.delegate, ["received_delegations"])
    record("delegation.revoked", obj=delegation, actor=actor,
           summary=f"{delegation.delegator.full_name} -> {delegation.delegate.full_name}",
           before={"revoked_at": None}, after={"revoked_at": delegation.revoked_at})
    _tell(delegation.delegate, phrase(
        "%(name)s revoked the delegation of their sign-off to you.",
        name=delegation.delegator.full_name))


EXPIRY_WARNING_DAYS = 3


def _warn_expiring(today: dt.date) -> None:
    """Tell the delegate and the delegator, once, that a delegation ends within
    EXPIRY_WARNING_DAYS days (the notices table: delegation_expiring)."""

    soon = list(db.session.scalars(select(Delegation).where(
        Delegation.ends_on >= today,
        Delegation.ends_on <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS),
        Delegation.revoked_at.is_(None))))
    for delegation in soon:
        told = db.session.scalar(select(Notification.id).where(
            Notification.user_id == delegation.delegate_id,
            Notification.kind == "delegation_expiring",
            Notification.created_at >= dt.datetime.combine(delegation.starts_on,
                                                           dt.time())).limit(1))
        if told is None:
            notices.send("delegation_expiring", None,
                         users=[delegation.delegate, delegation.delegator],
                         name=delegation.delegator.full_name,
                         delegate=delegation.delegate.full_name,
                         end=delegation.ends_on.isoformat())


def expire_due(now: dt.datetime | None = None) -> int:
    """Record, once each, the delegations whose last day has passed (for cron)."""
    today = (now or utcnow()).date()
    _warn_expiring(today)
    due = list(db.session.scalars(select(Delegation).where(
        Delegation.ends_on < today, Delegation.revoked_at.is_(None),
        Delegation.expiry_recorded_at.is_(None)).order_by(Delegation.id)))
    for delegation in due:
        delegation.expiry_recorded_at = now or utcnow()
        db.session.flush()
        record("delegation.expired", obj=delegation, actor=None,
               summary=f"{delegation.delegator.full_name} -> {delegation.delegate.full_name}",
               before={"ends_on": delegation.ends_on},
               after={"expiry_recorded_at": delegation.expiry_recorded_at})
    return len(due)
