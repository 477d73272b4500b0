"""What the workflow says about a project, without changing it: its history and sign-offs, the
content the parties sign (snapshot and hash), the state of the current gate, and the actions a
user may take. Below tadafur.workflow.services (which moves projects) and re-exported by it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select

from tadafur.access import (
    acts_for,
    delegation_for,
    holds_role_for,
    is_read_only,
)
from tadafur.audit.services import canonical_json
from tadafur.extensions import db
from tadafur.jobs.services import preparing
from tadafur.projects.models import Project
from tadafur.workflow import hooks
from tadafur.workflow.guards import unmet
from tadafur.workflow.labels import translate
from tadafur.workflow.models import SignOff, TransitionRecord
from tadafur.workflow.registry import definition_of
from tadafur.workflow.schema import (
    PARTY_ROLES,
    SIGNOFF_PREFIX,
    Definition,
    Gate,
    Transition,
)


@dataclass(frozen=True)
class Action:
    trigger: str
    label: str
    kind: str  # "transition" | "signoff"
    needs_comment: bool
    needs_password: bool
    style: str  # "primary" | "danger" | "default"
    gate: str | None
    fields: tuple[str, ...] = ()
    # What keeps it from succeeding now (guards.Missing items): shown disabled with this
    # checklist, each item linking to where it is fixed; never listed in My tasks.
    missing: tuple[Any, ...] = ()
    # A sign-off on a document that a job is still preparing: not offered (the panel says
    # so), never listed in My tasks.
    preparing: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.missing) or self.preparing


@dataclass(frozen=True)
class Task:
    project: Any
    action: Action
    due_at: dt.datetime | None
    overdue: bool
    on_behalf_of: str | None = None  # awaited from a delegate: the delegator's name


@dataclass(frozen=True)
class GateStatus:
    gate: Gate
    round: int
    subject_hash: str | None
    approvals: dict[str, SignOff]
    rejections: dict[str, SignOff]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p for p in self.gate.parties if p not in self.approvals)

    @property
    def complete(self) -> bool:
        return self.subject_hash is not None and not self.missing


def history(project: Project) -> list[TransitionRecord]:
    return list(db.session.scalars(
        select(TransitionRecord).where(TransitionRecord.project_id == project.id)
        .order_by(TransitionRecord.seq)))


def signoffs(project: Project) -> list[SignOff]:
    return list(db.session.scalars(
        select(SignOff).where(SignOff.project_id == project.id).order_by(SignOff.id)))


def current_round(project: Project) -> int:
    """The seq of the transition that entered the current state."""
    return db.session.scalar(select(func.max(TransitionRecord.seq))
                             .where(TransitionRecord.project_id == project.id)) or 0


def content_snapshot(project: Project) -> dict:
    """The proposal as the parties endorse it (not its execution status)."""
    return {
        "reference": project.reference, "content_version": project.content_version,
        "title_ar": project.title_ar, "title_fr": project.title_fr,
        "summary": project.summary, "objectives": project.objectives,
        "target_groups": project.target_groups, "place": project.place,
        "commune_id": project.commune_id, "lead_association_id": project.lead_association_id,
        "partners": sorted(a.id for a in project.partners),
        "themes": sorted(t.id for t in project.themes),
        "start_date": project.start_date, "end_date": project.end_date,
        "beneficiaries": [project.beneficiaries_women, project.beneficiaries_men,
                          project.beneficiaries_youth],
        "budget": [[b.category, b.description, _money(b.amount), b.funder, bool(b.in_kind)]
                   for b in project.budget_lines],
        "activities": [[a.title, a.planned_start, a.planned_end] for a in project.activities],
        "indicators": [[i.level, i.name, i.unit, _money(i.baseline), _money(i.target),
                        bool(i.disaggregated)] for i in project.indicators],
    }


def _money(value: Any) -> str:
    """Same text before and after a round trip through the database (scale 2)."""
    return f"{Decimal(str(value or 0)):.2f}"


def _sha256(values: Any) -> str:
    return hashlib.sha256(canonical_json(values).encode("utf-8")).hexdigest()


def content_hash(project: Project) -> str:
    return _sha256(content_snapshot(project))


@dataclass(frozen=True)
class GateFacts:
    """What a gate's status needs from the database, fetched for many projects at once."""

    round: int
    entered: TransitionRecord | None
    signoffs: tuple[SignOff, ...]
    documents: dict[str, Any]


def gate_facts(projects: list[Project]) -> dict[int, GateFacts]:
    """Rounds, entering transitions, valid sign-offs of the current round and bound documents
    of `projects`, in a fixed number of queries whatever their number (for pages listing many
    projects, and for every commit: tadafur.workflow.awaiting recomputes the projects it
    touched). Only the rows a gate's status reads are loaded: one transition per project, not
    its whole history; this round's sign-offs, not every round's."""
    ids = [p.id for p in projects]
    if not ids:
        return {}
    latest = (select(TransitionRecord.project_id, func.max(TransitionRecord.seq).label("seq"))
              .where(TransitionRecord.project_id.in_(ids))
              .group_by(TransitionRecord.project_id).subquery())
    entered = {r.project_id: r for r in db.session.scalars(
        select(TransitionRecord).join(latest, and_(
            TransitionRecord.project_id == latest.c.project_id,
            TransitionRecord.seq == latest.c.seq)))}
    rounds = {project_id: record.seq for project_id, record in entered.items()}
    signoffs: dict[int, list[SignOff]] = {}
    for signoff in db.session.scalars(
            select(SignOff).outerjoin(latest, latest.c.project_id == SignOff.project_id)
            .where(SignOff.project_id.in_(ids), SignOff.valid,
                   SignOff.round == func.coalesce(latest.c.seq, 0))
            .order_by(SignOff.id)):
        signoffs.setdefault(signoff.project_id, []).append(signoff)
    kinds = {gate.document_kind for p in projects
             if (gate := definition_of(p).state(p.state).gate) is not None
             and gate.document_kind}
    documents = {kind: hooks.latest_documents(projects, kind) for kind in kinds}
    for kind in kinds:  # a document a job is still preparing is not there yet
        for project_id in preparing(ids, kind):
            documents[kind].pop(project_id, None)
    return {p.id: GateFacts(rounds.get(p.id, 0), entered.get(p.id),
                            tuple(signoffs.get(p.id, ())),
                            {kind: found.get(p.id) for kind, found in documents.items()})
            for p in projects}


def _subject_hash(project: Project, gate: Gate, round_: int,
                  facts: GateFacts | None = None) -> str | None:
    if gate.subject == "content":
        return content_hash(project)
    if gate.subject == "transition":
        if facts is not None:
            entered = facts.entered
        else:
            entered = db.session.scalar(select(TransitionRecord).where(
                TransitionRecord.project_id == project.id, TransitionRecord.seq == round_))
        if entered is None:
            return None
        return _sha256({"project": project.id, "seq": entered.seq, "trigger": entered.trigger,
                        "from": entered.from_state, "to": entered.to_state,
                        "comment": entered.comment, "data": entered.data})
    if facts is not None:
        document = facts.documents.get(gate.document_kind)
    elif preparing([project.id], gate.document_kind):
        document = None  # the latest is an older round's; the new one is being prepared
    else:
        document = hooks.latest_document(project, gate.document_kind)
    return document.sha256 if document is not None else None


def gate_status(project: Project, definition: Definition | None = None,
                facts: GateFacts | None = None) -> GateStatus | None:
    """The sign-offs collected so far on the current state's gate (None: no gate here).

    `facts` (from `gate_facts`) saves the queries when many projects are looked at.
    """
    definition = definition or definition_of(project)
    gate = definition.state(project.state).gate
    if gate is None:
        return None
    round_ = facts.round if facts is not None else current_round(project)
    subject_hash = _subject_hash(project, gate, round_, facts)
    if facts is not None:
        collected = [so for so in facts.signoffs if so.gate == gate.name and so.round == round_]
    else:
        collected = db.session.scalars(select(SignOff).where(
            SignOff.project_id == project.id, SignOff.gate == gate.name,
            SignOff.round == round_, SignOff.valid).order_by(SignOff.id))
    return collect_status(gate, round_, subject_hash, collected)


def collect_status(gate: Gate, round_: int, subject_hash: str | None,
                   collected) -> GateStatus:
    """The approvals and refusals among `collected` sign-offs that bind to `subject_hash`
    (also used by gates outside the definition's states: amendments)."""
    approvals: dict[str, SignOff] = {}
    rejections: dict[str, SignOff] = {}
    for signoff in collected:
        if signoff.signed_hash != subject_hash:
            continue
        if signoff.decision == "approve":
            approvals[signoff.party] = signoff
            rejections.pop(signoff.party, None)
        elif signoff.party not in approvals:
            rejections[signoff.party] = signoff
    return GateStatus(gate, round_, subject_hash, approvals, rejections)


def may_fire(user: Any, project: Project, transition: Transition) -> bool:
    if transition.auto:
        return False
    return any(acts_for(user, project, party, transition.roles or PARTY_ROLES[party])
               for party in transition.parties)


def signing_parties(user: Any, project: Project, gate: Gate) -> list[str]:
    return [s.party for s in gate.signers if acts_for(user, project, s.party, s.roles)]


def signing_mandate(user: Any, project: Project, gate: Gate, party: str) -> Any:
    """The delegation `user` signs `party`'s part of `gate` under (None: in their own right)."""
    signer = next(s for s in gate.signers if s.party == party)
    if holds_role_for(user, project, party, signer.roles):
        return None
    return delegation_for(user, project, party, signer.roles)


def _transition_action(transition: Transition, missing: tuple = ()) -> Action:
    return Action(transition.trigger, translate(transition.label), "transition",
                  transition.comment_required, False, transition.style, transition.gate,
                  tuple(name for name, _kind in transition.fields), missing)


def _signoff_action(gate: Gate, missing: tuple = ()) -> Action:
    return Action(SIGNOFF_PREFIX + gate.name, translate(gate.action or gate.label),
                  "signoff", False, True, "primary", gate.name, ("decision",), missing)


def unmet_for_gate(project: Project, definition: Definition, gate: Gate) -> tuple:
    """A sign-off on content is given for what follows it: what keeps the content from
    passing the guards of the transition the gate leads to (empty: it may be signed)."""
    if gate.subject != "content":
        return ()
    found: list = []
    for transition in definition.from_state(gate.state):
        if transition.gate == gate.name:
            found.extend(unmet(project, transition.guards, transition.unless))
    return tuple(dict.fromkeys(found))


def available_actions(user: Any, project: Project, facts: GateFacts | None = None,
                      status: GateStatus | None = None) -> list[Action]:
    """What `user` can do on `project` now (buttons; `fire` still checks everything).

    `status`: the gate's status when the caller has it already (the same for every user:
    tadafur.workflow.awaiting asks for a project's nine holders in a row)."""
    if user is None or not getattr(user, "is_authenticated", False) or is_read_only(user):
        return []
    definition = definition_of(project)
    state = definition.state(project.state)
    if state.final:
        return []
    if state.gate and status is None:
        status = gate_status(project, definition, facts)
    actions = []
    if status is not None:
        parties = signing_parties(user, project, status.gate)
        if any(p not in status.approvals for p in parties):
            action = _signoff_action(status.gate,
                                     unmet_for_gate(project, definition, status.gate))
            if status.gate.document_kind and status.subject_hash is None:
                action = replace(action, preparing=True)
            actions.append(action)
    for transition in definition.from_state(state.name):
        if not may_fire(user, project, transition):
            continue
        if transition.gate and not (status and status.complete):
            continue
        actions.append(_transition_action(
            transition, tuple(unmet(project, transition.guards, transition.unless))))
    return actions


def field_types(project: Project, trigger: str) -> dict[str, str]:
    transition = definition_of(project).transition(project.state, trigger)
    return dict(transition.fields) if transition else {}


def action_for(project: Project, trigger: str) -> Action | None:
    """The (unblocked) action `trigger` names in the project's current state, as a button
    would show it: for My tasks, whose rows keep only the triggers."""
    definition = definition_of(project)
    if trigger.startswith(SIGNOFF_PREFIX):
        gate = definition.state(project.state).gate
        return _signoff_action(gate) if gate and SIGNOFF_PREFIX + gate.name == trigger else None
    transition = definition.transition(project.state, trigger)
    return _transition_action(transition) if transition is not None else None
