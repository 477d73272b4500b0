"""Who acts for which party of a project: through a membership of its commune or of one of
its associations, the programme officers for the programme, or through a delegation valid
today (never passed on); who only reads. Facts about users that the rules in tadafur.access,
the workflow and the amendments read; tadafur.access re-exports them and stays the one
place of the rules.
"""

from __future__ import annotations

from typing import Any

from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role
from tadafur.models_base import utcnow

READ_ONLY_ROLES = frozenset({Role.MINISTRY_REVIEWER})


def is_read_only(user: Any) -> bool:
    """Ministry reviewers, and outside auditors (who hold a grant but no role)."""
    return user.roles <= READ_ONLY_ROLES


def in_commune_scope(user: Any, commune_id: int | None) -> bool:
    return any(
        m.commune_id == commune_id and Role(m.role) in COMMUNE_ROLES for m in user.memberships
    )


def in_association_scope(user: Any, association_ids: set[int]) -> bool:
    return any(
        m.association_id in association_ids and Role(m.role) in ASSOCIATION_ROLES
        for m in user.memberships
    )


def party_of(user: Any, project: Any) -> set[str]:
    """The sides a user stands on for this project: 'commune', 'association', 'programme'."""
    sides = set()
    if in_commune_scope(user, project.commune_id):
        sides.add("commune")
    if in_association_scope(user, project.association_ids):
        sides.add("association")
    if user.has_role(Role.PROGRAMME_OFFICER):
        sides.add("programme")
    return sides


def acts_for(user: Any, project: Any, party: str, roles: frozenset[str] | set[str],
             *, delegated: bool = True) -> bool:
    """May `user` act for `party` on `project` with one of `roles` (the workflow's YAML)?

    The party comes from `party_of`; the role must be held in that party's organisation
    (a commune role in the project's commune, an association role in one of its
    associations, programme officer for the programme). Read-only users never act.
    With `delegated`, a valid delegation of such a role (`delegation_for`) also counts.
    """
    if user is None or not user.is_authenticated or not user.is_active or is_read_only(user):
        return False
    if holds_role_for(user, project, party, roles):
        return True
    return delegated and delegation_for(user, project, party, roles) is not None


def holds_role_for(user: Any, project: Any, party: str, roles: frozenset[str] | set[str]
                   ) -> bool:
    """The user's own memberships give them `party` with one of `roles` (no delegation)."""
    if party not in party_of(user, project):
        return False
    for membership in user.memberships:
        role = Role(membership.role)
        if role.value not in roles:
            continue
        if party == "commune" and role in COMMUNE_ROLES \
                and membership.commune_id == project.commune_id:
            return True
        if party == "association" and role in ASSOCIATION_ROLES \
                and membership.association_id in project.association_ids:
            return True
        if party == "programme" and role == Role.PROGRAMME_OFFICER:
            return True
    return False


DELEGABLE_ROLES = frozenset({Role.COMMUNE_SIGNATORY, Role.ASSOCIATION_SIGNATORY,
                             Role.PROGRAMME_OFFICER})


def delegation_for(user: Any, project: Any, party: str, roles: frozenset[str] | set[str],
                   day: Any = None) -> Any:
    """The delegation under which `user` may act for `party` with one of `roles` on `project`
    today (or `day`), or None.

    It must be in its period, not revoked, cover the project, delegate one of `roles`, and
    its delegator must still hold that role for this party themselves (a delegation never
    passes on a delegated right). The delegate must still be an active member of the
    delegator's organisation.
    """

    day = day or utcnow().date()
    for delegation in getattr(user, "received_delegations", None) or ():
        if delegation.role not in roles or not delegation.active_on(day) \
                or not delegation.covers(project.id):
            continue
        if not is_member_of_same_organisation(user, delegation):
            continue
        if holds_role_for(delegation.delegator, project, party, {delegation.role}) \
                and delegation.delegator.is_active:
            return delegation
    return None


def lapsed_delegation_for(user: Any, project: Any, party: str,
                          roles: frozenset[str] | set[str]) -> Any:
    """A delegation that would let `user` act here but is expired, revoked or not started:
    what a refusal names."""
    for delegation in getattr(user, "received_delegations", None) or ():
        if delegation.role in roles and delegation.covers(project.id) and holds_role_for(
                delegation.delegator, project, party, {delegation.role}):
            return delegation
    return None


def is_member_of_same_organisation(user: Any, delegation: Any) -> bool:
    return any((delegation.commune_id and m.commune_id == delegation.commune_id)
               or (delegation.association_id and m.association_id == delegation.association_id)
               or (delegation.institution_id and m.institution_id == delegation.institution_id)
               for m in user.memberships)


def delegated_roles(user: Any, day: Any = None) -> set[str]:
    """Roles `user` may currently exercise for someone else (for the my-tasks query)."""

    day = day or utcnow().date()
    return {d.role for d in getattr(user, "received_delegations", None) or ()
            if d.active_on(day)}
