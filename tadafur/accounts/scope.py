"""Who may use the platform, and what an outside auditor's grants open.

Below access (which scopes every list by it) and below the account services (which refuse a
login without it); the grants themselves are managed in tadafur.accounts.auditors.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tadafur.accounts.models import AuditorGrant, User, auditor_grant_project
from tadafur.extensions import db
from tadafur.models_base import utcnow


@dataclass(frozen=True)
class AuditorScope:
    commune_ids: frozenset[int]
    project_ids: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.commune_ids or self.project_ids)


EMPTY = AuditorScope(frozenset(), frozenset())


def scope_of(user) -> AuditorScope:
    """What the user's active grants open, computed once per request (cached on the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return EMPTY
    cached = getattr(user, "_auditor_scope", None)
    if cached is not None:
        return cached
    now = utcnow()
    grants = db.session.scalars(select(AuditorGrant).where(
        AuditorGrant.user_id == user.id, AuditorGrant.revoked_at.is_(None),
        AuditorGrant.starts_at <= now, AuditorGrant.expires_at > now)).all()
    communes: set[int] = set()
    projects: set[int] = set()
    if grants:
        ids = [g.id for g in grants]
        communes = {c.id for g in grants for c in g.communes}
        projects = set(db.session.scalars(select(auditor_grant_project.c.project_id)
                                          .where(auditor_grant_project.c.grant_id.in_(ids))))
    scope = AuditorScope(frozenset(communes), frozenset(projects))
    user._auditor_scope = scope
    return scope


def has_access(user: User) -> bool:
    """A user may use the platform through a membership or an active auditor grant."""
    return bool(user.memberships) or bool(scope_of(user))
