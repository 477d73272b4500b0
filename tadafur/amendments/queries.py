"""What an amendment is and where it stands, without changing it: the workflow file's rules,
the open amendments' locks, the gate, its sign-offs and status, who may sign. Below the
amendment services (proposing and signing), which re-export these names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.access import acts_for
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.workflow import services as workflow
from tadafur.workflow.labels import translate
from tadafur.workflow.models import SignOff
from tadafur.workflow.schema import AmendmentRules, Gate, Signer

from .models import Amendment, AmendmentLock

GATE = "amendment"


JUSTIFICATION_MAX = 5000


TEXT_MAX = 300


CENT = Decimal("0.01")


KIND_ORDER = ("budget", "end_date", "activities", "indicators", "signatory")


class AmendmentError(TadafurError):
    """A refused proposal or sign-off: translated message and the form field concerned."""


def rules_of(project: Project) -> AmendmentRules | None:
    return workflow.definition_of(project).amendments


def may_be_amended(project: Project) -> bool:
    rules = rules_of(project)
    return rules is not None and project.state in rules.states


def amendments_of(project: Project) -> list[Amendment]:
    return list(db.session.scalars(select(Amendment).where(Amendment.project_id == project.id)
                                   .order_by(Amendment.number.desc())))


def locked_keys(project: Project) -> dict[str, int]:
    """{key: number of the open amendment holding it} for `project`."""
    rows = db.session.execute(
        select(AmendmentLock.key, Amendment.number)
        .join(Amendment, Amendment.id == AmendmentLock.amendment_id)
        .where(AmendmentLock.project_id == project.id)).all()
    return {key: number for key, number in rows}


def ensure_not_locked(project: Project, *keys: str) -> None:
    """Refuse an edit of something an open amendment touches (the edit services call it)."""
    held = locked_keys(project)
    for key in keys:
        if key in held:
            raise AmendmentError(_(
                "Amendment No. %(number)d is open on this item: it cannot be changed "
                "elsewhere until the amendment is approved or rejected.", number=held[key]))


def kind_label(kind: str, rules: AmendmentRules | None = None) -> str:
    if rules is not None and kind in rules.changes:
        return translate(rules.changes[kind][0])
    return kind


def gate_of(amendment: Amendment, rules: AmendmentRules | None = None) -> Gate:
    """The amendment's own gate: the parties its kinds of change need, with the definition's
    signer roles."""
    rules = rules or rules_of(amendment.project)
    signers = tuple(Signer(party, rules.signers[party]) for party in amendment.party_list)
    return Gate(GATE, amendment.project.state, _("Amendment No. %(number)d",
                                                   number=amendment.number),
                GATE, signers)


def signoffs_of(amendment: Amendment) -> list:
    return list(db.session.scalars(select(SignOff).where(
        SignOff.project_id == amendment.project_id, SignOff.gate == GATE,
        SignOff.round == amendment.id).order_by(SignOff.id)))


def status_of(amendment: Amendment, gate: Gate | None = None) -> workflow.GateStatus:
    gate = gate or gate_of(amendment)
    return workflow.collect_status(gate, amendment.id, amendment.subject_hash,
                                   [s for s in signoffs_of(amendment) if s.valid])


def may_sign(user: Any, amendment: Amendment) -> bool:
    """Whether a sign-off panel is offered (the service still checks everything)."""
    if not amendment.is_open or user is None or not getattr(user, "is_authenticated", False) \
            or not may_be_amended(amendment.project):
        return False
    gate = gate_of(amendment)
    status = status_of(amendment, gate)

    return any(acts_for(user, amendment.project, s.party, s.roles)
               and s.party not in status.approvals for s in gate.signers)
