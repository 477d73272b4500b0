"""The home page's panel of amendments awaiting my sign-off (a delegate's included), in a
fixed number of queries whatever the number of amendments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from tadafur.access import acts_for, delegation_for, holds_role_for, is_read_only, visible_projects
from tadafur.amendments import services
from tadafur.amendments.models import OPEN, Amendment
from tadafur.core.dashboard import Panel
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.workflow.models import SignOff


def awaiting(user: Any) -> list[tuple[Amendment, str | None]]:
    """(amendment, name of the person signed for when only a delegation allows it)."""
    if user is None or is_read_only(user):
        return []
    statement = visible_projects(
        select(Amendment).join(Amendment.project).where(Amendment.status == OPEN), user)
    amendments = list(db.session.scalars(statement.options(
        contains_eager(Amendment.project).selectinload(Project.partners))
        .order_by(Amendment.proposed_at)).unique())
    if not amendments:
        return []
    approved: dict[int, set[str]] = {}
    for signoff in db.session.scalars(select(SignOff).where(
            SignOff.gate == services.GATE, SignOff.valid, SignOff.decision == "approve",
            SignOff.round.in_([a.id for a in amendments]))):
        approved.setdefault(signoff.round, set()).add(signoff.party)
    found = []
    for amendment in amendments:
        rules = services.rules_of(amendment.project)
        if rules is None:
            continue
        gate = services.gate_of(amendment, rules)
        for signer in gate.signers:
            if signer.party in approved.get(amendment.id, set()):
                continue
            if acts_for(user, amendment.project, signer.party, signer.roles):
                behalf = None
                if not holds_role_for(user, amendment.project, signer.party, signer.roles):
                    mandate = delegation_for(user, amendment.project, signer.party,
                                             signer.roles)
                    behalf = mandate.delegator.full_name if mandate else None
                found.append((amendment, behalf))
                break
    return found


def amendments_panel(user: Any) -> Panel | None:
    entries = awaiting(user)
    if not entries:
        return None
    return Panel("amendments/_my_amendments_panel.html", {"entries": entries})


