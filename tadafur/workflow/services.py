"""The workflow service: the one place where projects change state and parties sign off.

Views and other domains call `available_actions` and `fire`; nothing else moves a project.
`fire` locks the project row (SELECT ... FOR UPDATE), re-reads the state, checks permission,
comment, recorded fields, gate and guards, then moves the state with a Machine built for this
call, writes the history and the audit event, all inside a savepoint of the caller's
transaction: a refusal or an error leaves nothing behind, and the caller commits once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.access import (
    is_read_only,
    lapsed_delegation_for,
)
from tadafur.accounts import two_factor
from tadafur.accounts.services import AccountError, check_password
from tadafur.audit.services import canonical_json, record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Project
from tadafur.vocabulary import list_words, phrase, text
from tadafur.workflow import dates, hooks
from tadafur.workflow.audience import (  # moved; importable from here as before
    awaited as awaited,
    awaited_actions as awaited_actions,
    behalf_of as behalf_of,
    delegates_of as delegates_of,
    notify_users as notify_users,
    project_link as project_link,
    send_reminders as send_reminders,
    users_of as users_of,
)
from tadafur.workflow.engine import IllegalTransition, next_state
from tadafur.workflow.guards import GUARDS
from tadafur.workflow.labels import field_label, party_label, translate
from tadafur.workflow.models import SignOff, TransitionRecord
from tadafur.workflow.notices import TRANSITION_EVENTS, send
from tadafur.workflow.picture import (  # moved; importable from here as before
    picture as picture,
)
from tadafur.workflow.queries import (  # moved; importable from here as before
    Action as Action,
    GateFacts as GateFacts,
    GateStatus as GateStatus,
    Task as Task,
    available_actions as available_actions,
    collect_status as collect_status,
    content_hash as content_hash,
    content_snapshot as content_snapshot,
    current_round as current_round,
    field_types as field_types,
    gate_facts as gate_facts,
    gate_status as gate_status,
    history as history,
    may_fire,
    signing_mandate as signing_mandate,
    signing_parties,
    signoffs as signoffs,
    unmet_for_gate,
)
from tadafur.workflow.registry import (  # the service is the entry point; re-exported
    DEFAULT_DIRECTORY as DEFAULT_DIRECTORY,
    EXTENSION as EXTENSION,
    default_name as default_name,
    definition_of as definition_of,
    due_at as due_at,
    is_editable as is_editable,
    is_final as is_final,
    is_overdue as is_overdue,
    phase_label as phase_label,
    phase_of as phase_of,
    registry as registry,
    state_label as state_label,
)
from tadafur.workflow.schema import (
    SIGNOFF_PREFIX,
    Definition,
    Gate,
    Transition,
)

MAX_TEXT = 5000


class WorkflowError(TadafurError):
    """A refused action; `message` is translated and user-facing. Nothing was changed."""


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
         data: dict | None = None, password: str | None = None,
         code: str | None = None) -> None:
    """Do `trigger` (a transition, or `signoff:<gate>`) as `user`, or raise WorkflowError.

    A sign-off asks for the password again, and for the second factor's `code` when the
    signer has one (the sign-off records that it was checked).

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
    second_factor = check_signing_password(user, password, code) if signing else False
    with db.session.begin_nested():
        _lock(project)
        definition = definition_of(project)
        if signing:
            _sign(user, project, definition, trigger[len(SIGNOFF_PREFIX):], comment, data,
                  second_factor)
        else:
            _transition(user, project, definition, trigger, comment, data)


def _transition(user, project, definition, trigger, comment, data) -> None:
    transition = definition.transition(project.state, trigger)
    if transition is None or transition.auto:
        raise WorkflowError(_("This action is not possible while the project is at the "
                              "stage “%(state)s”.", state=state_label(project.state)))
    if not may_fire(user, project, transition):
        raise WorkflowError(_("You are not allowed to do “%(action)s” on this project.",
                              action=translate(transition.label)))
    if transition.comment_required and not comment:
        raise WorkflowError(_("A comment is required: say why."), field="comment")
    values = _clean_fields(project, transition, data)
    if transition.gate:
        status = gate_status(project, definition)
        if status is None or not status.complete:
            missing = list_words(party_label(p) for p in (status.missing if status else ()))
            raise WorkflowError(_("Waiting for the sign-off of: %(parties)s.",
                                  parties=missing or "?"))
    _check_guards(project, transition)
    _apply(user, project, definition, transition, comment, values)


def _check_guards(project: Project, transition: Transition) -> None:
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

    for event in TRANSITION_EVENTS.get(transition.trigger, ()):
        send(event, project)


def _enter_state(project: Project, definition: Definition, actor: Any) -> None:
    state = definition.state(project.state)
    for kind in state.documents:
        hooks.DOCUMENT_PRODUCERS[kind](project, actor)
    if state.gate is not None:
        gate = state.gate
        label = gate.label
        notify_users(users_of(project, gate.parties, {r for s in gate.signers
                                                       for r in s.roles}),
                     "awaiting_signoff", project,
                     phrase("%(reference)s: your sign-off is awaited (%(gate)s).",
                            reference=project.reference, gate=text(label)))


def check_signing_password(user: Any, password: str | None, code: str | None = None) -> bool:
    """Signing asks for the password again (checked before any lock: hashing is slow), then
    the second factor's code when the signer has one; True when that code was checked.

    A wrong code is flushed as a failed login attempt before anything else changes: the
    caller commits on a refusal of field "code" (instead of rolling back), so the login
    throttle counts it."""
    if not check_password(user, password or ""):
        raise WorkflowError(_("The password is not correct."), field="password")


    address = request.remote_addr if has_request_context() else "service"
    try:
        return two_factor.check_for_signing(user, code, address)
    except AccountError as error:
        raise WorkflowError(error.message, field="code") from None


def _sign(user, project, definition, gate_name, comment, data, second_factor=False) -> None:
    state = definition.state(project.state)
    gate = state.gate
    if gate is None or gate.name != gate_name:
        raise WorkflowError(_("There is nothing to sign at this stage."))
    status = gate_status(project, definition)
    missing = unmet_for_gate(project, definition, gate)
    if missing and (data.get("decision") or "approve") == "approve":
        raise WorkflowError(_("This cannot be signed yet: it still needs %(missing)s.",
                              missing=", ".join(item.label for item in missing)))
    _signoff, complete = sign_gate(user, project, gate, status, comment, data,
                                   second_factor=second_factor)
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
              comment: str | None, data: dict, *, second_factor: bool = False
              ) -> tuple[SignOff, bool]:
    """Record `user`'s decision on `gate` for one of their parties (the project row is
    locked by the caller), audited; return the sign-off and whether it completed the gate.

    A delegate signs for the delegator's party: the sign-off names the delegation and the
    person signed for, and the use of the mandate is audited.
    """
    parties = signing_parties(user, project, gate)
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
                      on_behalf_of_id=mandate.delegator_id if mandate else None,
                      second_factor=second_factor)
    db.session.add(signoff)
    project.version = (project.version or 0) + 1
    db.session.flush()
    delegated = ({"delegation_id": mandate.id, "on_behalf_of": mandate.delegator.full_name,
                  "on_behalf_of_id": mandate.delegator_id} if mandate else {})
    record("signoff.given" if decision == "approve" else "signoff.refused", obj=signoff,
           project=project, actor=user, summary=f"{gate.name}: {party} {decision}",
           after={"gate": gate.name, "party": party, "decision": decision,
                  "round": status.round, "subject": gate.subject,
                  "signed_hash": status.subject_hash, "comment": comment,
                  "second_factor": second_factor, **delegated})
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
                users_of(project, {s.party for s in pending},
                          {r for s in gate.signers for r in s.roles}),
                "sign_again", project,
                phrase("%(reference)s was edited after your sign-off: please review "
                       "it and sign again (%(gate)s).",
                       reference=project.reference, gate=text(label)))
        db.session.flush()


# ---------------------------------------------------------------- notifications, tasks


def _notify_parties(project: Project, kind: str, transition: Transition,
                    comment: str | None) -> None:
    label = transition.label
    notify_users(
        users_of(project, ("commune", "association")), kind, project,
        phrase("%(reference)s: %(action)s.", note=comment or None,
               reference=project.reference, action=text(label)))


# ---------------------------------------------------------------- the picture


