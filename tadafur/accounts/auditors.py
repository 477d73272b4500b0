"""Outside auditors: time-limited, read-only access to chosen communes or projects.

An administrator grants it; it expires by itself; every request made under it is audited.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tadafur.accounts.models import AuditorGrant, User, auditor_grant_project
from tadafur.accounts.scope import (
    EMPTY as EMPTY,
    AuditorScope as AuditorScope,
    has_access as has_access,
    scope_of,
)
from tadafur.accounts.services import AccountError, normalise_email
from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune
from tadafur.projects.models import Project

MAX_DAYS = 180


def grant(granted_by: User, email: str, full_name: str, commune_ids: list[int],
          project_references: list[str], expires_on: dt.date, reason: str) -> AuditorGrant:

    today = utcnow().date()
    if not reason.strip():
        raise AccountError(_("Say why the auditor needs this access."), field="reason")
    if expires_on <= today:
        raise AccountError(_("The access must end after today."), field="expires_on")
    if expires_on > today + dt.timedelta(days=MAX_DAYS):
        raise AccountError(_("The access may last %(days)d days at most.", days=MAX_DAYS),
                           field="expires_on")
    communes = list(db.session.scalars(select(Commune).where(Commune.id.in_(commune_ids))))
    projects = list(db.session.scalars(select(Project).where(
        Project.reference.in_([r.strip().upper() for r in project_references if r.strip()]))))
    unknown = {r.strip().upper() for r in project_references if r.strip()} - {
        p.reference for p in projects}
    if unknown:
        raise AccountError(_("Unknown project references: %(refs)s",
                             refs=", ".join(sorted(unknown))), field="projects")
    if not communes and not projects:
        raise AccountError(_("Choose at least one commune or project."), field="communes")
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, full_name=full_name.strip() or email)
        db.session.add(user)
        db.session.flush()
    elif user.memberships:
        raise AccountError(_("This person already has a role on the platform."), field="email")
    access = AuditorGrant(user_id=user.id, granted_by_id=granted_by.id, reason=reason.strip(),
                          starts_at=utcnow(),
                          expires_at=dt.datetime.combine(expires_on, dt.time.max),
                          communes=communes)
    db.session.add(access)
    db.session.flush()
    if projects:
        db.session.execute(auditor_grant_project.insert(), [
            {"grant_id": access.id, "project_id": p.id} for p in projects])
    record("auditor.granted", obj=access, summary=f"auditor access for {email}",
           after={"user": email, "communes": sorted(c.id for c in communes),
                  "projects": sorted(p.reference for p in projects),
                  "expires_on": expires_on, "reason": reason.strip()})
    return access


def revoke(access: AuditorGrant) -> None:
    if access.revoked_at is not None:
        return
    access.revoked_at = utcnow()
    db.session.flush()
    record("auditor.revoked", obj=access, summary=f"auditor access of {access.user.email} "
           "revoked", before={"revoked_at": None}, after={"revoked_at": access.revoked_at})


def grants() -> list[AuditorGrant]:
    return list(db.session.scalars(select(AuditorGrant).order_by(AuditorGrant.id.desc())))


def register(app: Flask) -> None:
    @app.before_request
    def audit_auditor_use() -> None:
        """Every request made under an auditor grant leaves an audit event."""
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return
        if current_user.memberships or not scope_of(current_user):
            return
        record("auditor.access", object_type="auditor_grant",
               summary=f"{request.method} {request.path}"[:500],
               after={"path": request.path, "query": request.query_string.decode()[:500]})
        db.session.commit()
