"""Amendments: propose a change to a running project, sign it off, apply it.

- `propose` compares what the form asks with the values in force and keeps what differs:
  budget lines (amount, funder; lines added and removed), the end date, activities (title,
  planned dates; added, removed), indicators (targets; added, removed). Each kind of change
  needs the parties the workflow definition's `amendments:` section names; moving a budget
  line by more than `reallocation_officer_share` percent of its amount (adding or removing
  one moves all of it) also needs the programme officer; an end date beyond
  `programme_end_date` is refused. The project row is locked and what the amendment touches
  is reserved (`amendment_lock`): a second open amendment on the same line is refused, and
  the normal edit services refuse to change it (`ensure_not_locked`).
- `sign` uses the workflow's gate sign-off (`sign_gate`: password again, audited, delegation
  recorded). A refusal by any party rejects the amendment and changes nothing; the last
  approval applies the changes, seals the amendment PDF and produces the consolidated
  convention as a new version superseding the previous one.

Either side proposes (commune or association, the convention's co-authors) while the project
is in one of the definition's `amendments.states` (by default in execution, suspended and
final report): a suspended project is often where an amendment is needed to resume it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from tadafur.access import acts_for
from tadafur.amendments.budget import recheck as recheck_budget
from tadafur.amendments.changes import (  # moved; importable from here as before
    SIGNATORY_ROLES as SIGNATORY_ROLES,
    Proposal as Proposal,
    activity_changes,
    approved_signatory as approved_signatory,
    budget_changes,
    current_signatory as current_signatory,
    indicator_changes,
    iso,
    lock_keys,
    officer_needed as officer_needed,
    parse_date,
    recheck_removals,
    signatory_changes,
    signatory_choices as signatory_choices,
)
from tadafur.amendments.diff import (  # moved; importable from here as before
    BudgetRow as BudgetRow,
    Diff as Diff,
    FieldRow as FieldRow,
    FunderRow as FunderRow,
    diff as diff,
    party_labels as party_labels,
)
from tadafur.amendments.queries import (  # moved; importable from here as before
    CENT as CENT,
    GATE as GATE,
    JUSTIFICATION_MAX as JUSTIFICATION_MAX,
    KIND_ORDER as KIND_ORDER,
    TEXT_MAX as TEXT_MAX,
    AmendmentError as AmendmentError,
    amendments_of as amendments_of,
    ensure_not_locked as ensure_not_locked,
    gate_of as gate_of,
    kind_label as kind_label,
    locked_keys as locked_keys,
    may_be_amended as may_be_amended,
    may_sign as may_sign,
    rules_of as rules_of,
    signoffs_of as signoffs_of,
    status_of as status_of,
)
from tadafur.amendments.reminders import (  # moved; importable from here as before
    send_reminders as send_reminders,
)
from tadafur.audit.services import canonical_json, record
from tadafur.documents import services as documents
from tadafur.extensions import db
from tadafur.jobs import services as jobs
from tadafur.models_base import utcnow
from tadafur.projects.models import Activity, BudgetLine, Indicator, Project
from tadafur.projects.rowlock import lock
from tadafur.vocabulary import list_words, phrase
from tadafur.workflow import notices, services as workflow
from tadafur.workflow.schema import PARTY_ROLES

from .models import APPROVED, OPEN, REJECTED, Amendment, AmendmentLock

# ---------------------------------------------------------------- reading


# ---------------------------------------------------------------- proposing


def _subject_hash(project: Project, number: int, changes: dict, justification: str,
                  parties: list[str]) -> str:
    payload = {"project": project.id, "reference": project.reference, "number": number,
               "changes": changes, "justification": justification, "parties": parties}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def propose(actor: Any, project: Project, justification: str, proposal: Proposal
            ) -> Amendment:
    """Open an amendment with what differs from the values in force; audited, flush only."""
    project = lock(project)
    rules = rules_of(project)
    if rules is None or project.state not in rules.states:
        raise AmendmentError(_("A project can be amended only during its execution or "
                               "follow-up."))
    if not any(acts_for(actor, project, party, PARTY_ROLES[party])
               for party in ("commune", "association")):
        raise AmendmentError(_("Only the commune or the association can propose an "
                               "amendment."))
    justification = (justification or "").strip()
    if not justification:
        raise AmendmentError(_("Say why the project must change."), "justification")
    if len(justification) > JUSTIFICATION_MAX:
        raise AmendmentError(_("At most %(max)d characters.", max=JUSTIFICATION_MAX),
                             "justification")
    changes: dict[str, Any] = {}
    budget, budget_changed = budget_changes(project, proposal)
    if budget_changed:
        changes["budget"] = budget
    end = parse_date(proposal.end_date, "end_date") if proposal.end_date else None
    if end is not None and end != project.end_date:
        if project.start_date and end < project.start_date:
            raise AmendmentError(_("The end date must not be before the start date."),
                                 "end_date")
        if end > rules.programme_end_date:
            raise AmendmentError(_(
                "The programme ends on %(date)s: a project cannot be extended beyond it.",
                date=rules.programme_end_date.isoformat()), "end_date")
        changes["end_date"] = [iso(project.end_date), iso(end)]
    if activities := activity_changes(project, proposal):
        changes["activities"] = activities
    if indicators := indicator_changes(project, proposal):
        changes["indicators"] = indicators
    if signatories := signatory_changes(project, proposal):
        changes["signatory"] = signatories
    if not changes:
        raise AmendmentError(_("Change at least one value: this amendment changes nothing."))
    kinds = [k for k in KIND_ORDER if k in changes]
    refused = [k for k in kinds if k not in rules.changes]
    if refused:
        raise AmendmentError(_("This workflow does not allow amendments of this kind: "
                               "%(kinds)s.", kinds=list_words(refused)))
    officer = "budget" in changes and officer_needed(budget, rules.reallocation_officer_share)
    parties = list(rules.parties_for(kinds, officer))
    keys = lock_keys(changes)
    held = locked_keys(project)
    clash = sorted({held[k] for k in keys if k in held})
    if clash:
        raise AmendmentError(_(
            "Amendment No. %(number)d is already open on some of these items: it must be "
            "approved or rejected first.", number=clash[0]))
    number = (db.session.scalar(select(func.max(Amendment.number))
                                .where(Amendment.project_id == project.id)) or 0) + 1
    amendment = Amendment(
        project_id=project.id, number=number, status=OPEN, kinds=",".join(kinds),
        parties=",".join(parties), justification=justification,
        changes_json=canonical_json(changes),
        subject_hash=_subject_hash(project, number, changes, justification, parties),
        proposed_by_id=actor.id, proposed_at=utcnow())
    amendment.project = project
    db.session.add(amendment)
    db.session.flush()
    for key in keys:
        db.session.add(AmendmentLock(project_id=project.id, amendment_id=amendment.id, key=key))
    db.session.flush()
    record("amendment.proposed", obj=amendment, project=project, actor=actor,
           summary=f"{project.reference}: amendment {number} ({', '.join(kinds)})",
           after={"number": number, "kinds": kinds, "parties": parties,
                  "officer_required": officer, "justification": justification,
                  "changes": changes, "subject_hash": amendment.subject_hash})
    _notify(amendment, parties, phrase(
        "%(reference)s: amendment No. %(number)d awaits your sign-off.",
        reference=project.reference, number=number))
    return amendment


def _notify(amendment: Amendment, parties: list[str], factory: Any) -> None:
    gate = gate_of(amendment)
    roles = {r for s in gate.signers for r in s.roles}
    users = workflow.users_of(amendment.project, set(parties), roles)
    users += workflow.delegates_of(amendment.project)
    workflow.notify_users([u for u in users if any(
        s.party in parties and acts_for(u, amendment.project, s.party, s.roles)
        for s in gate.signers)], "amendment", amendment.project, factory)


# ---------------------------------------------------------------- signing

def sign(actor: Any, amendment: Amendment, *, decision: str, comment: str | None,
         password: str | None, code: str | None = None) -> None:
    """Approve or refuse the amendment for one of the actor's parties (flush only).

    A refusal rejects it (nothing changes); the last approval applies it and produces the
    sealed amendment and the consolidated convention, all in one savepoint.
    """
    try:
        second_factor = workflow.check_signing_password(actor, password, code)
    except workflow.WorkflowError as error:
        raise AmendmentError(error.message, error.field) from None
    comment = (comment or "").strip() or None
    if comment and len(comment) > JUSTIFICATION_MAX:
        raise AmendmentError(_("At most %(max)d characters.", max=JUSTIFICATION_MAX),
                             "comment")
    with db.session.begin_nested():
        project = lock(amendment.project)
        db.session.refresh(amendment)
        if not amendment.is_open:
            raise AmendmentError(_("This amendment is no longer open."))
        if not may_be_amended(project):
            raise AmendmentError(_("A project can be amended only during its execution or "
                                   "follow-up."))
        gate = gate_of(amendment)
        status = status_of(amendment, gate)
        try:
            _signoff, complete = workflow.sign_gate(actor, project, gate, status, comment,
                                                    {"decision": decision},
                                                    second_factor=second_factor)
        except workflow.WorkflowError as error:
            raise AmendmentError(error.message, error.field) from None
        if decision == "reject":
            _close(amendment, REJECTED, actor)
        elif complete:
            _approve(amendment, actor)


def _close(amendment: Amendment, status: str, actor: Any) -> None:
    amendment.status, amendment.decided_at = status, utcnow()
    for held in db.session.scalars(select(AmendmentLock).where(
            AmendmentLock.amendment_id == amendment.id)):
        db.session.delete(held)
    db.session.flush()
    record(f"amendment.{status}", obj=amendment, project=amendment.project, actor=actor,
           summary=f"{amendment.project.reference}: amendment {amendment.number} {status}",
           before={"status": OPEN}, after={"status": status})
    notices.send("amendment_approved" if status == APPROVED else "amendment_refused",
                 amendment.project, number=amendment.number)


def _apply_changes(amendment: Amendment) -> dict:
    """Write the approved values; return the before/after of what was written."""
    project, changes = amendment.project, amendment.changes
    if changes.get("budget"):
        recheck_budget(project, changes["budget"])
    recheck_removals(project, changes)
    for row in changes.get("budget", []):
        if row.get("new"):
            project.budget_lines.append(BudgetLine(
                position=max((x.position for x in project.budget_lines), default=0) + 1,
                category=row["category"], description=row["description"],
                amount=Decimal(row["amount"][1]), funder=row["funder"][1],
                in_kind=row["in_kind"]))
        elif row["changed"]:
            line = db.session.get(BudgetLine, row["id"])
            if line is None or line.project_id != project.id:
                continue
            if row.get("removed"):
                project.budget_lines.remove(line)
                db.session.delete(line)
            else:
                line.amount, line.funder = Decimal(row["amount"][1]), row["funder"][1]
    if "end_date" in changes:
        project.end_date = dt.date.fromisoformat(changes["end_date"][1])
    for row in changes.get("activities", []):
        if row.get("new"):
            project.activities.append(Activity(
                position=max((a.position for a in project.activities), default=0) + 1,
                title=row["title"][1], planned_start=_date_or_none(row["planned_start"][1]),
                planned_end=_date_or_none(row["planned_end"][1])))
            continue
        activity = db.session.get(Activity, row["id"])
        if activity is None or activity.project_id != project.id:
            continue
        if row.get("removed"):
            project.activities.remove(activity)
            db.session.delete(activity)
            continue
        activity.title = row["title"][1]
        activity.planned_start = _date_or_none(row["planned_start"][1])
        activity.planned_end = _date_or_none(row["planned_end"][1])
    for row in changes.get("indicators", []):
        if row.get("new"):
            project.indicators.append(Indicator(
                position=max((i.position for i in project.indicators), default=0) + 1,
                level=row["level"], name=row["name"], unit=row["unit"],
                baseline=Decimal(row["baseline"]), target=Decimal(row["target"][1]),
                disaggregated=False, counts_people=False))
            continue
        indicator = db.session.get(Indicator, row["id"])
        if indicator is None or indicator.project_id != project.id:
            continue
        if row.get("removed"):
            project.indicators.remove(indicator)
            db.session.delete(indicator)
            continue
        indicator.target = Decimal(row["target"][1])
    db.session.flush()
    return changes


def _date_or_none(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _approve(amendment: Amendment, actor: Any) -> None:
    project = amendment.project
    changes = _apply_changes(amendment)
    project.version = (project.version or 0) + 1
    record("project.amended", obj=project, project=project, actor=actor,
           summary=f"{project.reference}: amendment {amendment.number} applied",
           after={"amendment": amendment.number, "changes": changes})
    workflow.content_changed(project, actor)
    db.session.expire(project, ["budget_lines", "activities", "indicators"])
    amendment.status = APPROVED  # the consolidated convention reads the approved changes
    db.session.flush()
    _produce_documents(amendment, actor)
    _close(amendment, APPROVED, actor)


def document_context(amendment: Amendment) -> dict:
    """What the sealed amendment and the consolidated convention print, handed to the
    documents (which sit below the amendments and never import them)."""
    return {"amendment": amendment,
            "signoffs": [s for s in signoffs_of(amendment)
                         if s.valid and s.signed_hash == amendment.subject_hash],
            "diff": lambda format_date: diff(amendment, format_date),
            "kind_label": lambda kind: kind_label(kind, rules_of(amendment.project)),
            "parties": lambda: party_labels(amendment)}


def _produce_documents(amendment: Amendment, actor: Any) -> None:
    """The sealed amendment and the consolidated convention, rendered by a job after the
    approval commits (amendments.hooks); in eager mode (tests) at once."""
    try:
        jobs.enqueue("amendments.documents", project=amendment.project, actor=actor,
                     amendment_id=amendment.id)
    except documents.DocumentError as error:
        raise AmendmentError(error.message) from error


def produce_documents(amendment: Amendment, actor: Any) -> None:
    """The job's work: both documents registered in its one transaction, or neither."""
    project = amendment.project
    language = current_app.config.get("DOCUMENTS_CONVENTION_LANGUAGE", "bilingual")
    previous = documents.latest(project, documents.CONVENTION_SIGNED)
    context = document_context(amendment)
    try:
        sealed = documents.produce(project, documents.AMENDMENT, actor, language, gate=GATE,
                                   context=context)
        consolidated = documents.produce(
            project, documents.CONVENTION_SIGNED, actor,
            previous.language if previous else language, gate=GATE, context=context)
    except documents.DocumentError as error:
        raise AmendmentError(error.message) from error
    amendment.document_id, amendment.consolidated_id = sealed.id, consolidated.id
    db.session.flush()


# ---------------------------------------------------------------- reminders


# ---------------------------------------------------------------- the diff


