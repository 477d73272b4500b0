"""The workflow service: the one place where projects change state and parties sign off.

Views and other domains call `available_actions` and `fire`; nothing else moves a project.
`fire` locks the project row (SELECT ... FOR UPDATE), re-reads the state, checks permission,
comment, recorded fields, gate and guards, then moves the state with a Machine built for this
call, writes the history and the audit event, all inside a savepoint of the caller's
transaction: a refusal or an error leaves nothing behind, and the caller commits once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from tadafur.access import acts_for, is_read_only, visible_projects
from tadafur.accounts.models import Membership, Role, User
from tadafur.accounts.services import check_password
from tadafur.audit.services import canonical_json, record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Project
from tadafur.workflow import hooks
from tadafur.workflow.definition import (
    PARTY_ROLES,
    SIGNOFF_PREFIX,
    Definition,
    Gate,
    Registry,
    Transition,
    load_directory,
)
from tadafur.workflow.engine import IllegalTransition, next_state
from tadafur.workflow.labels import field_label, party_label, translate
from tadafur.workflow.models import SignOff, TransitionRecord

EXTENSION = "tadafur.workflow"
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "workflows"
MAX_TEXT = 5000


# ---------------------------------------------------------------- public types

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

    @property
    def blocked(self) -> bool:
        return bool(self.missing)


@dataclass(frozen=True)
class Task:
    project: Any
    action: Action
    due_at: dt.datetime | None
    overdue: bool
    on_behalf_of: str | None = None  # awaited from a delegate: the delegator's name


class WorkflowError(Exception):
    """A refused action; `message` is translated and user-facing. Nothing was changed."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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


# ---------------------------------------------------------------- definitions

def init_app(app) -> None:
    """Load and check every definition at start-up: a broken one stops the app."""
    directory = app.config.get("WORKFLOW_DIRECTORY") or DEFAULT_DIRECTORY
    app.extensions[EXTENSION] = load_directory(directory)
    register_template_helpers(app)


def registry() -> Registry:
    return current_app.extensions[EXTENSION]


def default_name() -> str:
    return current_app.config.get("WORKFLOW_DEFAULT", "co_creation")


def definition_of(project: Project) -> Definition:
    return registry().get(project.workflow_name, project.workflow_version)


def state_label(state: str) -> str:
    defs = [registry().latest(default_name()), *registry().definitions.values()]
    for definition in defs:
        if state in definition.states:
            return translate(definition.states[state].label)
    return state


def phase_of(project: Project) -> str:
    return definition_of(project).phase_of(project.state)


def phase_label(phase: str) -> str:
    return translate(registry().latest(default_name()).phase_label(phase))


def due_at(project: Project) -> dt.datetime | None:
    state = definition_of(project).states.get(project.state)
    if state is None or state.final or not state.due_days or project.state_entered_at is None:
        return None
    return project.state_entered_at + dt.timedelta(days=state.due_days)


def is_overdue(project: Project, now: dt.datetime | None = None) -> bool:
    due = due_at(project)
    return due is not None and due < (now or utcnow())


def is_editable(project: Project) -> bool:
    state = definition_of(project).states.get(project.state)
    return bool(state and state.editable and not state.final)


def is_final(project: Project) -> bool:
    return definition_of(project).state(project.state).final


# ---------------------------------------------------------------- reading

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
    """Rounds, entering transitions, valid sign-offs and bound documents of `projects`, in a
    fixed number of queries whatever their number (for pages listing many projects)."""
    ids = [p.id for p in projects]
    if not ids:
        return {}
    rounds = dict(db.session.execute(
        select(TransitionRecord.project_id, func.max(TransitionRecord.seq))
        .where(TransitionRecord.project_id.in_(ids)).group_by(TransitionRecord.project_id)).all())
    entered = {r.project_id: r for r in db.session.scalars(
        select(TransitionRecord).where(TransitionRecord.project_id.in_(ids)))
        if rounds.get(r.project_id) == r.seq}
    signoffs: dict[int, list[SignOff]] = {}
    for signoff in db.session.scalars(select(SignOff).where(
            SignOff.project_id.in_(ids), SignOff.valid).order_by(SignOff.id)):
        signoffs.setdefault(signoff.project_id, []).append(signoff)
    kinds = {gate.document_kind for p in projects
             if (gate := definition_of(p).state(p.state).gate) is not None
             and gate.document_kind}
    documents = {kind: hooks.latest_documents(projects, kind) for kind in kinds}
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


# ---------------------------------------------------------------- who may do what

def _may_fire(user: Any, project: Project, transition: Transition) -> bool:
    if transition.auto:
        return False
    return any(acts_for(user, project, party, transition.roles or PARTY_ROLES[party])
               for party in transition.parties)


def _signing_parties(user: Any, project: Project, gate: Gate) -> list[str]:
    return [s.party for s in gate.signers if acts_for(user, project, s.party, s.roles)]


def signing_mandate(user: Any, project: Project, gate: Gate, party: str) -> Any:
    """The delegation `user` signs `party`'s part of `gate` under (None: in their own right)."""
    from tadafur.access import delegation_for, holds_role_for

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
    from tadafur.workflow.guards import unmet

    if gate.subject != "content":
        return ()
    found: list = []
    for transition in definition.from_state(gate.state):
        if transition.gate == gate.name:
            found.extend(unmet(project, transition.guards, transition.unless))
    return tuple(dict.fromkeys(found))


def available_actions(user: Any, project: Project,
                      facts: GateFacts | None = None) -> list[Action]:
    """What `user` can do on `project` now (buttons; `fire` still checks everything)."""
    if user is None or not getattr(user, "is_authenticated", False) or is_read_only(user):
        return []
    definition = definition_of(project)
    state = definition.state(project.state)
    if state.final:
        return []
    status = gate_status(project, definition, facts) if state.gate else None
    actions = []
    from tadafur.workflow.guards import unmet

    if status is not None:
        parties = _signing_parties(user, project, status.gate)
        if any(p not in status.approvals for p in parties):
            actions.append(_signoff_action(
                status.gate, unmet_for_gate(project, definition, status.gate)))
    for transition in definition.from_state(state.name):
        if not _may_fire(user, project, transition):
            continue
        if transition.gate and not (status and status.complete):
            continue
        actions.append(_transition_action(
            transition, tuple(unmet(project, transition.guards, transition.unless))))
    return actions


def field_types(project: Project, trigger: str) -> dict[str, str]:
    transition = definition_of(project).transition(project.state, trigger)
    return dict(transition.fields) if transition else {}


# ---------------------------------------------------------------- changing

def _lock(project: Project) -> None:
    """Lock the row and reload it: decisions are taken on the committed state."""
    locked = db.session.execute(
        select(Project).where(Project.id == project.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    assert locked is project, "the project must belong to the current session"


def start(project: Project, actor: Any, name: str | None = None) -> None:
    """Put a new project in the initial state of the newest version of its workflow."""
    definition = registry().latest(name or default_name())
    project.workflow_name, project.workflow_version = definition.name, definition.version
    project.state, project.state_entered_at = definition.initial, utcnow()
    if project.id is None:
        db.session.add(project)
    db.session.flush()
    db.session.add(TransitionRecord(
        project_id=project.id, seq=1, trigger="start", from_state=None,
        to_state=definition.initial, workflow_version=definition.version,
        actor_id=getattr(actor, "id", None)))
    record("project.workflow_started", obj=project, project=project, actor=actor,
           summary=f"workflow {definition.name} v{definition.version} started",
           after={"workflow": definition.name, "version": definition.version,
                  "state": definition.initial})
    _enter_state(project, definition, actor)


def fire(user: Any, project: Project, trigger: str, *, comment: str | None = None,
         data: dict | None = None, password: str | None = None) -> None:
    """Do `trigger` (a transition, or `signoff:<gate>`) as `user`, or raise WorkflowError.

    Flushes only; the caller commits. Everything happens in a savepoint, so a refusal or an
    error after the state change leaves state, sign-offs and audit trail as they were.
    """
    if user is None or not getattr(user, "is_authenticated", False) or is_read_only(user):
        raise WorkflowError(_("You are not allowed to act on this project."))
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_TEXT:
        raise WorkflowError(_("At most %(max)d characters.", max=MAX_TEXT), field="comment")
    data = dict(data or {})
    signing = trigger.startswith(SIGNOFF_PREFIX)
    if signing:
        check_signing_password(user, password)
    with db.session.begin_nested():
        _lock(project)
        definition = definition_of(project)
        if signing:
            _sign(user, project, definition, trigger[len(SIGNOFF_PREFIX):], comment, data)
        else:
            _transition(user, project, definition, trigger, comment, data)


def _transition(user, project, definition, trigger, comment, data) -> None:
    transition = definition.transition(project.state, trigger)
    if transition is None or transition.auto:
        raise WorkflowError(_("This action is not possible while the project is at the "
                              "stage “%(state)s”.", state=state_label(project.state)))
    if not _may_fire(user, project, transition):
        raise WorkflowError(_("You are not allowed to do “%(action)s” on this project.",
                              action=translate(transition.label)))
    if transition.comment_required and not comment:
        raise WorkflowError(_("A comment is required: say why."), field="comment")
    values = _clean_fields(project, transition, data)
    if transition.gate:
        status = gate_status(project, definition)
        if status is None or not status.complete:
            missing = ", ".join(party_label(p) for p in (status.missing if status else ()))
            raise WorkflowError(_("Waiting for the sign-off of: %(parties)s.",
                                  parties=missing or "?"))
    _check_guards(project, transition)
    _apply(user, project, definition, transition, comment, values)


def _check_guards(project: Project, transition: Transition) -> None:
    from tadafur.workflow.guards import GUARDS

    for name, params in transition.guards:
        guard = GUARDS[name]
        if not guard.check(project, **params):
            raise WorkflowError(guard.refusal(project, **params))
    for name, params in transition.unless:
        guard = GUARDS[name]
        if guard.check(project, **params):
            raise WorkflowError(guard.negated_refusal(project, **params))


def _check_date(project: Project, name: str, day: dt.date) -> None:
    """A recorded date (committee, deliberation, visa) obeys the workflow's date rules."""
    from tadafur.workflow import dates

    try:
        dates.check(project, name, day, name)
    except dates.DateRefused as refused:
        raise WorkflowError(_("%(field)s: %(why)s", field=field_label(name),
                              why=refused.message), field=name) from None


def _clean_fields(project: Project, transition: Transition, data: dict) -> dict:
    values = {}
    for name, kind in transition.fields:
        raw = data.get(name)
        raw = raw.strip() if isinstance(raw, str) else raw
        label = field_label(name)
        if raw in (None, ""):
            raise WorkflowError(_("%(field)s: this field is required.", field=label),
                                field=name)
        try:
            if kind == "date":
                value = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
                _check_date(project, name, value)
                values[name] = value.isoformat()
            elif kind == "integer":
                number = int(str(raw))
                if number < 0:
                    raise ValueError
                values[name] = number
            elif kind == "score":
                score = Decimal(str(raw))
                if not (0 <= score <= 100):
                    raise ValueError
                values[name] = str(score)
            else:
                text = str(raw)
                if len(text) > MAX_TEXT:
                    raise WorkflowError(_("At most %(max)d characters.", max=MAX_TEXT),
                                        field=name)
                values[name] = text
        except (ValueError, InvalidOperation):
            hints = {"date": _("a date (YYYY-MM-DD)"), "integer": _("a whole number, 0 or more"),
                     "score": _("a number from 0 to 100")}
            raise WorkflowError(_("%(field)s: enter %(what)s.", field=label,
                                  what=hints.get(kind, kind)), field=name) from None
    return values


def _apply(user, project, definition, transition, comment, values) -> None:
    """Move the state (Machine built for this call), write history and audit event."""
    old = project.state
    try:
        new = next_state(definition, old, transition.trigger)
    except IllegalTransition:
        raise WorkflowError(_("This action is not possible while the project is at the "
                              "stage “%(state)s”.", state=state_label(old))) from None
    seq = current_round(project) + 1
    before = {"state": old, "version": project.version}
    project.state, project.state_entered_at = new, utcnow()
    project.version = (project.version or 0) + 1
    db.session.add(TransitionRecord(
        project_id=project.id, seq=seq, trigger=transition.trigger, from_state=old,
        to_state=new, workflow_version=definition.version, actor_id=getattr(user, "id", None),
        comment=comment, data_json=canonical_json(values) if values else None))
    record(f"project.{transition.trigger}", obj=project, project=project, actor=user,
           summary=f"{old} -> {new}", before=before,
           after={"state": new, "version": project.version, "comment": comment, **values})
    _enter_state(project, definition, user)
    if transition.notify:
        _notify_parties(project, transition.notify, transition, comment)
    from tadafur.workflow.notices import TRANSITION_EVENTS, send

    for event in TRANSITION_EVENTS.get(transition.trigger, ()):
        send(event, project)


def _enter_state(project: Project, definition: Definition, actor: Any) -> None:
    state = definition.state(project.state)
    for kind in state.documents:
        hooks.DOCUMENT_PRODUCERS[kind](project, actor)
    if state.gate is not None:
        gate = state.gate
        label = gate.label
        notify_users(_users_of(project, gate.parties, {r for s in gate.signers
                                                       for r in s.roles}),
                     "awaiting_signoff", project,
                     lambda _lang: _("%(reference)s: your sign-off is awaited (%(gate)s).",
                                     reference=project.reference, gate=translate(label)))


def check_signing_password(user: Any, password: str | None) -> None:
    """Signing asks for the password again (checked before any lock: hashing is slow)."""
    if not check_password(user, password or ""):
        raise WorkflowError(_("The password is not correct."), field="password")


def _sign(user, project, definition, gate_name, comment, data) -> None:
    state = definition.state(project.state)
    gate = state.gate
    if gate is None or gate.name != gate_name:
        raise WorkflowError(_("There is nothing to sign at this stage."))
    status = gate_status(project, definition)
    missing = unmet_for_gate(project, definition, gate)
    if missing and (data.get("decision") or "approve") == "approve":
        raise WorkflowError(_("This cannot be signed yet: it still needs %(missing)s.",
                              missing=", ".join(item.label for item in missing)))
    _signoff, complete = sign_gate(user, project, gate, status, comment, data)
    if not complete:
        return
    for hook in hooks.GATE_COMPLETED:
        hook(project, gate.name, user)
    record("gate.completed", obj=project, project=project, actor=user,
           summary=f"gate {gate.name} complete",
           after={"gate": gate.name, "round": status.round, "signed_hash": status.subject_hash})
    automatic = next((t for t in definition.from_state(state.name)
                      if t.auto and t.gate == gate.name), None)
    if automatic is not None:
        _apply(user, project, definition, automatic, None, {})


def _refuse_unsigned(user: Any, project: Project, gate: Gate) -> None:
    """No party to sign for: say so, naming a lapsed mandate when that is the reason."""
    from tadafur.access import lapsed_delegation_for

    for signer in gate.signers:
        lapsed = lapsed_delegation_for(user, project, signer.party, signer.roles)
        if lapsed is not None:
            raise WorkflowError(_(
                "Your delegation from %(name)s is not valid now (it runs from %(start)s to "
                "%(end)s, or was revoked): you cannot sign for them.",
                name=lapsed.delegator.full_name, start=lapsed.starts_on.isoformat(),
                end=lapsed.ends_on.isoformat()))
    raise WorkflowError(_("You cannot sign this for any of the parties."))


def sign_gate(user: Any, project: Project, gate: Gate, status: GateStatus,
              comment: str | None, data: dict) -> tuple[SignOff, bool]:
    """Record `user`'s decision on `gate` for one of their parties (the project row is
    locked by the caller), audited; return the sign-off and whether it completed the gate.

    A delegate signs for the delegator's party: the sign-off names the delegation and the
    person signed for, and the use of the mandate is audited.
    """
    parties = _signing_parties(user, project, gate)
    if not parties:
        _refuse_unsigned(user, project, gate)
    wanted = data.get("party")
    if wanted is not None and wanted not in parties:
        raise WorkflowError(_("You cannot sign this for that party."), field="party")
    open_parties = [p for p in ([wanted] if wanted else parties) if p not in status.approvals]
    if not open_parties:
        raise WorkflowError(_("Your party has already signed this."))
    party = open_parties[0]
    decision = data.get("decision") or "approve"
    if decision not in ("approve", "reject"):
        raise WorkflowError(_("Choose to approve or to refuse."), field="decision")
    if decision == "reject" and not comment:
        raise WorkflowError(_("A comment is required: say why you refuse."), field="comment")
    if status.subject_hash is None:
        raise WorkflowError(_("The document to sign has not been produced yet."))
    mandate = signing_mandate(user, project, gate, party)
    signoff = SignOff(project_id=project.id, gate=gate.name, round=status.round, party=party,
                      user_id=user.id, decision=decision, comment=comment,
                      subject=gate.subject, signed_hash=status.subject_hash, valid=True,
                      delegation_id=mandate.id if mandate else None,
                      on_behalf_of_id=mandate.delegator_id if mandate else None)
    db.session.add(signoff)
    project.version = (project.version or 0) + 1
    db.session.flush()
    delegated = ({"delegation_id": mandate.id, "on_behalf_of": mandate.delegator.full_name,
                  "on_behalf_of_id": mandate.delegator_id} if mandate else {})
    record("signoff.given" if decision == "approve" else "signoff.refused", obj=signoff,
           project=project, actor=user, summary=f"{gate.name}: {party} {decision}",
           after={"gate": gate.name, "party": party, "decision": decision,
                  "round": status.round, "subject": gate.subject,
                  "signed_hash": status.subject_hash, "comment": comment, **delegated})
    if mandate is not None:
        record("delegation.used", obj=mandate, project=project, actor=user,
               summary=f"{user.full_name} for {mandate.delegator.full_name}: {gate.name}",
               after={"signoff_id": signoff.id, "gate": gate.name, "party": party,
                      "delegator_id": mandate.delegator_id, "delegate_id": user.id})
    return signoff, decision == "approve" and not (set(status.missing) - {party})


def content_changed(project: Project, actor: Any) -> None:
    """After a content edit: new content version; pending content sign-offs no longer count.

    Each invalidated sign-off is audited, and the parties who had signed are asked to sign
    again.
    """
    with db.session.begin_nested():
        _lock(project)
        project.content_version = (project.content_version or 0) + 1
        definition = definition_of(project)
        gate = definition.state(project.state).gate
        if gate is None or gate.subject != "content":
            db.session.flush()
            return
        round_ = current_round(project)
        pending = list(db.session.scalars(select(SignOff).where(
            SignOff.project_id == project.id, SignOff.gate == gate.name,
            SignOff.round == round_, SignOff.valid)))
        reason = f"content changed (version {project.content_version})"
        for signoff in pending:
            signoff.valid, signoff.invalidated_at = False, utcnow()
            signoff.invalidated_reason = reason
            db.session.flush()
            record("signoff.invalidated", obj=signoff, project=project, actor=actor,
                   summary=f"{gate.name}: {signoff.party} must sign again ({reason})",
                   before={"valid": True, "signed_hash": signoff.signed_hash},
                   after={"valid": False, "content_version": project.content_version})
        if pending:
            label = gate.label
            notify_users(
                _users_of(project, {s.party for s in pending},
                          {r for s in gate.signers for r in s.roles}),
                "sign_again", project,
                lambda _lang: _("%(reference)s was edited after your sign-off: please review "
                                "it and sign again (%(gate)s).",
                                reference=project.reference, gate=translate(label)))
        db.session.flush()


# ---------------------------------------------------------------- notifications, tasks

def project_link(project: Project) -> str | None:
    for endpoint in ("projects.show",):
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, project_id=project.id)
            except RuntimeError:  # no request and no SERVER_NAME (cron without settings)
                return None
            except Exception:  # the endpoint takes other arguments: try the next one
                continue
    return None


def notify_users(users, kind: str, project: Project, factory) -> None:
    from tadafur.notifications.services import notify

    notify(users, kind, project, factory, link=project_link(project))


def _users_of(project: Project, parties, roles=None) -> list[User]:
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


def _notify_parties(project: Project, kind: str, transition: Transition,
                    comment: str | None) -> None:
    label = transition.label
    notify_users(
        _users_of(project, ("commune", "association")), kind, project,
        lambda _lang: _("%(reference)s: %(action)s.", reference=project.reference,
                        action=translate(label)) + (f" {comment}" if comment else ""))


def _final_states() -> set[str]:
    return {s.name for d in registry().definitions.values() for s in d.states.values()
            if s.final}


def awaited_actions(user: Any, project: Project, facts: GateFacts | None = None
                    ) -> list[Action]:
    """The actions the project waits for from `user`: sign-offs and primary next steps (not
    the optional ones such as suspend or reject)."""
    return [action for action in available_actions(user, project, facts)
            if (action.kind == "signoff" or action.style == "primary") and not action.blocked]


def _user_parties(user: Any, roles: set | frozenset | None = None) -> set[str]:
    roles = user.roles if roles is None else roles
    parties = set()
    if roles & {Role.COMMUNE_AGENT, Role.COMMUNE_SIGNATORY}:
        parties.add("commune")
    if roles & {Role.ASSOCIATION_MEMBER, Role.ASSOCIATION_SIGNATORY}:
        parties.add("association")
    if Role.PROGRAMME_OFFICER in roles:
        parties.add("programme")
    return parties


def _awaiting_states(user: Any) -> set[str]:
    """States in which something may await `user`: a gate they sign, or a primary step."""
    from tadafur.access import delegated_roles

    roles = {r.value for r in user.roles} | delegated_roles(user)
    parties = _user_parties(user, {Role(r) for r in roles})
    states: set[str] = set()
    for definition in registry().definitions.values():
        for name, state in definition.states.items():
            if state.final:
                continue
            if state.gate and any(s.party in parties and roles & set(s.roles)
                                  for s in state.gate.signers):
                states.add(name)
            for transition in definition.from_state(name):
                if transition.style == "primary" and not transition.auto and \
                        parties & set(transition.parties):
                    states.add(name)
    return states


def awaited(user: Any) -> list[Task]:
    """The actions awaited from `user` (sign-offs and the primary next steps), most urgent
    first. A fixed number of queries whatever the number of projects."""
    if user is None or is_read_only(user):
        return []
    states = _awaiting_states(user)
    if not states:
        return []
    statement = visible_projects(select(Project).where(Project.state.in_(states)), user) \
        .options(selectinload(Project.partners), selectinload(Project.themes),
                 selectinload(Project.budget_lines), selectinload(Project.activities),
                 selectinload(Project.indicators))
    projects = list(db.session.scalars(statement.order_by(Project.state_entered_at)))
    facts = gate_facts(projects)
    now = utcnow()
    tasks = []
    for project in projects:
        due = due_at(project)
        for action in awaited_actions(user, project, facts[project.id]):
            behalf = behalf_of(user, project) if action.kind == "signoff" else None
            tasks.append(Task(project, action, due, due is not None and due < now, behalf))
    return sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or now))


def behalf_of(user: Any, project: Project) -> str | None:
    """Whom `user` would sign the current gate for, when only a delegation lets them."""
    from tadafur.access import delegation_for, holds_role_for

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
    from tadafur.notifications.models import Notification

    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.project_id == project.id, Notification.kind == kind,
        Notification.created_at >= since)))


def delegates_of(project: Project, now: dt.datetime | None = None) -> list[User]:
    """Users holding a delegation that is valid today and covers `project`."""
    from tadafur.delegations.models import Delegation, delegation_project

    today = (now or utcnow()).date()
    return list(db.session.scalars(select(User).join(
        Delegation, Delegation.delegate_id == User.id).where(
        Delegation.revoked_at.is_(None), Delegation.starts_on <= today,
        Delegation.ends_on >= today,
        or_(Delegation.all_projects, Delegation.id.in_(
            select(delegation_project.c.delegation_id)
            .where(delegation_project.c.project_id == project.id)))).distinct()))


def send_reminders(now: dt.datetime | None = None) -> int:
    """Overdue steps, for cron: after the state's due days, one `overdue` notification to
    each awaited user (a delegate who may sign included); after twice that, when a sign-off
    is still missing, one `escalated` notification to the programme officers."""
    now = now or utcnow()
    sent = 0
    projects = db.session.scalars(select(Project).where(Project.state.not_in(_final_states())))
    for project in projects:
        due = due_at(project)
        if due is None or due >= now:
            continue
        already = _notified(project, "overdue", project.state_entered_at)
        candidates = {u.id: u for u in [
            *_users_of(project, ("commune", "association", "programme")),
            *delegates_of(project, now)]}
        users = [u for u in candidates.values()
                 if u.id not in already and awaited_actions(u, project)]
        if users:
            notify_users(users, "overdue", project,
                         lambda _lang, p=project: _(
                             "%(reference)s is overdue at the stage “%(state)s”: your action "
                             "is awaited.", reference=p.reference, state=state_label(p.state)))
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
    officers = [u for u in _users_of(project, ("programme",)) if u.id not in already]
    if not officers:
        return 0
    missing = list(status.missing)
    notify_users(officers, "escalated", project,
                 lambda _lang, p=project: _(
                     "%(reference)s: sign-offs overdue for twice the time allowed at the stage "
                     "“%(state)s” (missing: %(parties)s).", reference=p.reference,
                     state=state_label(p.state),
                     parties=", ".join(party_label(x) for x in missing)))
    return len(officers)


# ---------------------------------------------------------------- the picture

def picture(project: Project) -> dict:
    """What the diagram shows: phases, states (done / current / to come) and signers."""
    from tadafur.workflow.labels import translate as t

    definition = definition_of(project)
    visited = {r.to_state for r in history(project)}
    all_signoffs = [s for s in signoffs(project) if s.valid]
    current_status = gate_status(project, definition)
    phases = []
    for name, label, state_names in definition.phases:
        states = []
        for state_name in state_names:
            state = definition.states[state_name]
            status = ("current" if state_name == project.state
                      else "done" if state_name in visited else "todo")
            gate = None
            if state.gate is not None:
                if status == "current" and current_status is not None:
                    approvals, rejections = current_status.approvals, current_status.rejections
                else:
                    rows = [s for s in all_signoffs if s.gate == state.gate.name]
                    last = max((s.round for s in rows), default=None)
                    approvals = {s.party: s for s in rows
                                 if s.round == last and s.decision == "approve"}
                    rejections = {}
                signers = []
                for party in state.gate.parties:
                    signed = approvals.get(party) or rejections.get(party)
                    signers.append({
                        "party": party, "label": party_label(party),
                        "status": ("signed" if party in approvals else
                                   "refused" if party in rejections else "awaited"),
                        "name": signed.user.full_name if signed else None,
                        "at": signed.signed_at if signed else None})
                gate = {"name": state.gate.name, "label": t(state.gate.label),
                        "signers": signers}
            states.append({"name": state_name, "label": t(state.label), "status": status,
                           "final": state.final, "gate": gate})
        phases.append({"name": name, "label": t(label), "states": states,
                       "current": project.state in state_names})
    return {"phases": phases, "due_at": due_at(project), "overdue": is_overdue(project)}


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        workflow_picture=picture,
        workflow_state_label=state_label,
        workflow_is_overdue=is_overdue,
        workflow_field_type=lambda project, trigger, name: field_types(project, trigger).get(name),
        workflow_field_label=field_label,
        workflow_phase_label=phase_label,
        workflow_is_final=is_final,
        workflow_date_bounds=lambda project, kind: _date_bounds(project, kind),
    )


def _date_bounds(project: Project, kind: str) -> dict[str, str]:
    from tadafur.workflow import dates

    return dates.bounds(project, kind)
