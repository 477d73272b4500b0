"""Amendments: propose a change to a running project, sign it off, apply it.

- `propose` compares what the form asks with the values in force and keeps what differs:
  budget lines (amount, funder), the end date, activities (title, planned dates),
  indicators' targets. Each kind of change needs the parties the workflow definition's
  `amendments:` section names; moving a budget line by more than
  `reallocation_officer_share` percent of its amount also needs the programme officer; an end
  date beyond `programme_end_date` is refused. The project row is locked and what the
  amendment touches is reserved (`amendment_lock`): a second open amendment on the same line
  is refused, and the normal edit services refuse to change it (`ensure_not_locked`).
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
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from tadafur.audit.services import canonical_json, record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Activity, BudgetLine, Funder, Indicator, Project
from tadafur.workflow import notices
from tadafur.workflow import services as workflow
from tadafur.workflow.definition import AmendmentRules, Gate, Signer
from tadafur.workflow.labels import party_label, translate

from .models import APPROVED, OPEN, REJECTED, Amendment, AmendmentLock

GATE = "amendment"
JUSTIFICATION_MAX = 5000
TEXT_MAX = 300
CENT = Decimal("0.01")
KIND_ORDER = ("budget", "end_date", "activities", "indicators", "signatory")


class AmendmentError(Exception):
    """A refused proposal or sign-off: translated message and the form field concerned."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- reading

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
    from tadafur.workflow.models import SignOff

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
    from tadafur.access import acts_for

    return any(acts_for(user, amendment.project, s.party, s.roles)
               and s.party not in status.approvals for s in gate.signers)


# ---------------------------------------------------------------- proposing

def _parse_decimal(raw: Any, field_name: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise AmendmentError(_("Enter an amount of zero or more."), field_name) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise AmendmentError(_("Enter an amount of zero or more."), field_name)
    return value.quantize(CENT, ROUND_HALF_UP)


def _parse_date(raw: Any, field_name: str) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AmendmentError(_("Enter a date (YYYY-MM-DD)."), field_name) from None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(CENT):.2f}"


@dataclass
class Proposal:
    """What the proposal form asks, by item id (strings as typed, or parsed values)."""

    end_date: Any = None
    lines: dict[int, dict] = field(default_factory=dict)
    activities: dict[int, dict] = field(default_factory=dict)
    indicators: dict[int, dict] = field(default_factory=dict)
    signatories: dict[str, Any] = field(default_factory=dict)  # party -> user id
    new_activity: dict | None = None  # title, planned_start, planned_end
    new_indicator: dict | None = None  # level, name, unit, baseline, target
    removed_activities: set[int] = field(default_factory=set)
    removed_indicators: set[int] = field(default_factory=set)


SIGNATORY_ROLES = {"commune": "commune_signatory", "association": "association_signatory"}


def signatory_choices(project: Project, party: str) -> list:
    """Active users who hold the party's signatory role in the project's commune or lead
    association: whom an amendment may name as that party's signatory."""
    from tadafur.accounts.models import Membership, User

    column = (Membership.commune_id == project.commune_id if party == "commune"
              else Membership.association_id == project.lead_association_id)
    return list(db.session.scalars(select(User).join(Membership).where(
        User.active, Membership.role == SIGNATORY_ROLES[party], column)
        .order_by(User.full_name)))


def current_signatory(project: Project, party: str) -> Any:
    """Who the convention names for `party` now."""
    from tadafur.documents.services import convention_facts

    return convention_facts(project)[f"{party}_signatory"]


def approved_signatory(project: Project, party: str) -> Any:
    """The signatory the latest approved amendment named for `party`, if any."""
    from tadafur.accounts.models import User

    for amendment in db.session.scalars(select(Amendment).where(
            Amendment.project_id == project.id, Amendment.status == APPROVED)
            .order_by(Amendment.number.desc())):
        for row in amendment.changes.get("signatory", []):
            if row["party"] == party:
                user = db.session.get(User, row["user"][1])
                if user is not None and user.active:
                    return user
    return None


def _signatory_changes(project: Project, proposal: Proposal) -> list[dict]:
    rows = []
    for party, wanted in proposal.signatories.items():
        if party not in SIGNATORY_ROLES or wanted in (None, ""):
            continue
        field_name = f"signatory-{party}"
        try:
            wanted = int(wanted)
        except (TypeError, ValueError):
            raise AmendmentError(_("Choose a signatory from the list."), field_name) from None
        choices = {u.id: u for u in signatory_choices(project, party)}
        if wanted not in choices:
            raise AmendmentError(_("Choose a signatory from the list."), field_name)
        current = current_signatory(project, party)
        if current is not None and current.id == wanted:
            continue
        rows.append({"party": party,
                     "user": [current.id if current else None, wanted],
                     "name": [current.full_name if current else None,
                              choices[wanted].full_name]})
    return rows


def _budget_changes(project: Project, proposal: Proposal) -> tuple[list[dict], bool]:
    """Every line with its amount and funder before and after; whether one changed."""
    rows, changed = [], False
    for line in project.budget_lines:
        wanted = proposal.lines.get(line.id) or {}
        amount = (_parse_decimal(wanted["amount"], f"line-{line.id}-amount")
                  if wanted.get("amount") not in (None, "") else line.amount)
        funder = wanted.get("funder") or line.funder
        if funder not in {f.value for f in Funder}:
            raise AmendmentError(_("Choose a funder from the list."), f"line-{line.id}-funder")
        row = {"id": line.id, "category": line.category, "description": line.description,
               "amount": [_money(line.amount), _money(amount)],
               "funder": [line.funder, funder], "in_kind": bool(line.in_kind)}
        row["changed"] = row["amount"][0] != row["amount"][1] or line.funder != funder
        changed = changed or row["changed"]
        rows.append(row)
    if changed:
        _respect_what_happened(project, rows)
    return rows, changed


def _respect_what_happened(project: Project, rows: list[dict]) -> None:
    """No line below what was spent on it; no funder's lines below what it disbursed.
    Refused beside the changed field, with both figures."""
    from tadafur.execution.services import spent_by_line, tranches_by_funder
    from tadafur.i18n import format_amount

    spent = spent_by_line(project)
    for row in rows:
        amount = Decimal(row["amount"][1])
        if row["changed"] and amount < spent.get(row["id"], Decimal("0")):
            raise AmendmentError(_(
                "%(spent)s was already spent on this line: it cannot go down to %(amount)s.",
                spent=format_amount(spent[row["id"]]), amount=format_amount(amount)),
                f"line-{row['id']}-amount")
    for funder, (disbursed, _scheduled) in tranches_by_funder(project).items():
        total = sum((Decimal(r["amount"][1]) for r in rows
                     if r["funder"][1] == funder and not r["in_kind"]), Decimal("0"))
        if total < disbursed:
            changed = next((r for r in rows if r["changed"] and funder in r["funder"]), None)
            raise AmendmentError(_(
                "%(disbursed)s was already disbursed by this funder: its lines cannot total "
                "less (%(total)s).", disbursed=format_amount(disbursed),
                total=format_amount(total)),
                f"line-{changed['id']}-amount" if changed else None)


def _activity_changes(project: Project, proposal: Proposal) -> list[dict]:
    rows = []
    for activity in project.activities:
        wanted = proposal.activities.get(activity.id) or {}
        title = str(wanted.get("title", activity.title) or "").strip()
        if not title:
            raise AmendmentError(_("An activity needs a title."), f"activity-{activity.id}-title")
        if len(title) > TEXT_MAX:
            raise AmendmentError(_("At most %(max)d characters.", max=TEXT_MAX),
                                 f"activity-{activity.id}-title")
        start = (_parse_date(wanted["planned_start"], f"activity-{activity.id}-planned_start")
                 if "planned_start" in wanted else activity.planned_start)
        end = (_parse_date(wanted["planned_end"], f"activity-{activity.id}-planned_end")
               if "planned_end" in wanted else activity.planned_end)
        if start and end and end < start:
            raise AmendmentError(_("The end date must not be before the start date."),
                                 f"activity-{activity.id}-planned_end")
        row = {"id": activity.id, "title": [activity.title, title],
               "planned_start": [_iso(activity.planned_start), _iso(start)],
               "planned_end": [_iso(activity.planned_end), _iso(end)]}
        if activity.id in proposal.removed_activities:
            if _has_records(activity):
                raise AmendmentError(_("Progress or evidence was recorded on this activity: "
                                       "close it with a reason instead of removing it."),
                                     f"activity-{activity.id}-remove")
            rows.append({**row, "title": [activity.title, None], "removed": True})
        elif any(values[0] != values[1] for key, values in row.items() if key != "id"):
            rows.append(row)
    wanted = proposal.new_activity or {}
    title = str(wanted.get("title") or "").strip()
    if title:
        if len(title) > TEXT_MAX:
            raise AmendmentError(_("At most %(max)d characters.", max=TEXT_MAX),
                                 "new-activity-title")
        start = _parse_date(wanted.get("planned_start"), "new-activity-planned_start")
        end = _parse_date(wanted.get("planned_end"), "new-activity-planned_end")
        if start and end and end < start:
            raise AmendmentError(_("The end date must not be before the start date."),
                                 "new-activity-planned_end")
        rows.append({"id": None, "new": True, "title": [None, title],
                     "planned_start": [None, _iso(start)], "planned_end": [None, _iso(end)]})
    return rows


def _has_records(item: Any) -> bool:
    """Whether execution recorded something on an activity or an indicator."""
    from tadafur.execution.models import ActivityProgress, Attachment, IndicatorValue

    if isinstance(item, Activity):
        checks = (select(ActivityProgress.id).where(ActivityProgress.activity_id == item.id),
                  select(Attachment.id).where(Attachment.activity_id == item.id))
    else:
        checks = (select(IndicatorValue.id).where(IndicatorValue.indicator_id == item.id),)
    return any(db.session.scalar(check.limit(1)) is not None for check in checks)


LEVELS = ("output", "outcome")


def _new_indicator(proposal: Proposal) -> dict | None:
    wanted = proposal.new_indicator or {}
    name = str(wanted.get("name") or "").strip()
    if not name:
        return None
    if len(name) > TEXT_MAX:
        raise AmendmentError(_("At most %(max)d characters.", max=TEXT_MAX),
                             "new-indicator-name")
    unit = str(wanted.get("unit") or "").strip()[:60]
    if not unit:
        raise AmendmentError(_("This field is required."), "new-indicator-unit")
    level = wanted.get("level") or "output"
    if level not in LEVELS:
        raise AmendmentError(_("Choose a level from the list."), "new-indicator-level")
    if wanted.get("target") in (None, ""):
        raise AmendmentError(_("This field is required."), "new-indicator-target")
    baseline = _parse_decimal(wanted.get("baseline") or "0", "new-indicator-baseline")
    target = _parse_decimal(wanted["target"], "new-indicator-target")
    return {"id": None, "new": True, "name": name, "unit": unit, "level": level,
            "baseline": _money(baseline), "target": [None, _money(target)]}


def _indicator_changes(project: Project, proposal: Proposal) -> list[dict]:
    rows = []
    for indicator in project.indicators:
        wanted = proposal.indicators.get(indicator.id) or {}
        if indicator.id in proposal.removed_indicators:
            if _has_records(indicator):
                raise AmendmentError(_("Values were recorded for this indicator: it stays "
                                       "in the results; change its target instead."),
                                     f"indicator-{indicator.id}-remove")
            rows.append({"id": indicator.id, "removed": True, "name": indicator.name,
                         "unit": indicator.unit, "target": [_money(indicator.target), None]})
            continue
        if wanted.get("target") in (None, ""):
            continue
        target = _parse_decimal(wanted["target"], f"indicator-{indicator.id}-target")
        if _money(indicator.target) != _money(target):
            rows.append({"id": indicator.id, "name": indicator.name, "unit": indicator.unit,
                         "target": [_money(indicator.target), _money(target)]})
    added = _new_indicator(proposal)
    if added:
        rows.append(added)
    return rows


def officer_needed(budget: list[dict], share: int) -> bool:
    """A line moving by more than `share` percent of its amount, or to another funder."""
    for row in budget:
        if not row["changed"]:
            continue
        before, after = (Decimal(x) for x in row["amount"])
        if row["funder"][0] != row["funder"][1]:
            return True
        if abs(after - before) * 100 > before * share:
            return True
    return False


def _keys(changes: dict) -> list[str]:
    keys = [f"budget_line:{row['id']}" for row in changes.get("budget", []) if row["changed"]]
    if "end_date" in changes:
        keys.append("end_date")
    keys += [f"activity:{row['id']}" for row in changes.get("activities", []) if row["id"]]
    keys += [f"indicator:{row['id']}" for row in changes.get("indicators", []) if row["id"]]
    keys += [f"signatory:{row['party']}" for row in changes.get("signatory", [])]
    return keys


def _subject_hash(project: Project, number: int, changes: dict, justification: str,
                  parties: list[str]) -> str:
    payload = {"project": project.id, "reference": project.reference, "number": number,
               "changes": changes, "justification": justification, "parties": parties}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def propose(actor: Any, project: Project, justification: str, proposal: Proposal
            ) -> Amendment:
    """Open an amendment with what differs from the values in force; audited, flush only."""
    from tadafur.access import acts_for
    from tadafur.projects.services import lock

    project = lock(project)
    rules = rules_of(project)
    if rules is None or project.state not in rules.states:
        raise AmendmentError(_("A project can be amended only during its execution or "
                               "follow-up."))
    if not any(acts_for(actor, project, party, workflow.PARTY_ROLES[party])
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
    budget, budget_changed = _budget_changes(project, proposal)
    if budget_changed:
        changes["budget"] = budget
    end = _parse_date(proposal.end_date, "end_date") if proposal.end_date else None
    if end is not None and end != project.end_date:
        if project.start_date and end < project.start_date:
            raise AmendmentError(_("The end date must not be before the start date."),
                                 "end_date")
        if end > rules.programme_end_date:
            raise AmendmentError(_(
                "The programme ends on %(date)s: a project cannot be extended beyond it.",
                date=rules.programme_end_date.isoformat()), "end_date")
        changes["end_date"] = [_iso(project.end_date), _iso(end)]
    if activities := _activity_changes(project, proposal):
        changes["activities"] = activities
    if indicators := _indicator_changes(project, proposal):
        changes["indicators"] = indicators
    if signatories := _signatory_changes(project, proposal):
        changes["signatory"] = signatories
    if not changes:
        raise AmendmentError(_("Change at least one value: this amendment changes nothing."))
    kinds = [k for k in KIND_ORDER if k in changes]
    refused = [k for k in kinds if k not in rules.changes]
    if refused:
        raise AmendmentError(_("This workflow does not allow amendments of this kind: "
                               "%(kinds)s.", kinds=", ".join(refused)))
    officer = "budget" in changes and officer_needed(budget, rules.reallocation_officer_share)
    parties = list(rules.parties_for(kinds, officer))
    keys = _keys(changes)
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
    _notify(amendment, parties, lambda _lang: _(
        "%(reference)s: amendment No. %(number)d awaits your sign-off.",
        reference=project.reference, number=number))
    return amendment


def _notify(amendment: Amendment, parties: list[str], factory: Any) -> None:
    gate = gate_of(amendment)
    roles = {r for s in gate.signers for r in s.roles}
    users = workflow._users_of(amendment.project, set(parties), roles)
    users += workflow.delegates_of(amendment.project)
    workflow.notify_users([u for u in users if any(
        s.party in parties and workflow.acts_for(u, amendment.project, s.party, s.roles)
        for s in gate.signers)], "amendment", amendment.project, factory)


# ---------------------------------------------------------------- signing

def sign(actor: Any, amendment: Amendment, *, decision: str, comment: str | None,
         password: str | None) -> None:
    """Approve or refuse the amendment for one of the actor's parties (flush only).

    A refusal rejects it (nothing changes); the last approval applies it and produces the
    sealed amendment and the consolidated convention, all in one savepoint.
    """
    from tadafur.projects.services import lock

    try:
        workflow.check_signing_password(actor, password)
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
                                                    {"decision": decision})
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
    for row in changes.get("budget", []):
        if row["changed"]:
            line = db.session.get(BudgetLine, row["id"])
            if line is not None and line.project_id == project.id:
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


def _produce_documents(amendment: Amendment, actor: Any) -> None:
    from tadafur.documents import services as documents

    project = amendment.project
    language = current_app.config.get("DOCUMENTS_CONVENTION_LANGUAGE", "bilingual")
    previous = documents.latest(project, documents.CONVENTION_SIGNED)
    try:
        sealed = documents.produce(project, documents.AMENDMENT, actor, language, gate=GATE,
                                   context={"amendment": amendment})
        consolidated = documents.produce(
            project, documents.CONVENTION_SIGNED, actor,
            previous.language if previous else language, gate=GATE,
            context={"amendment": amendment})
    except documents.DocumentError as error:
        raise AmendmentError(error.message) from error
    amendment.document_id, amendment.consolidated_id = sealed.id, consolidated.id
    db.session.flush()


# ---------------------------------------------------------------- reminders

def send_reminders(now: dt.datetime | None = None) -> int:
    """Open amendments past the definition's `due_days` (for cron, with `flask reminders`):
    once, a reminder to each party still awaited (signatory and delegate); once, past twice
    that, a notice to the programme officers."""
    from tadafur.access import acts_for

    now = now or utcnow()
    sent = 0
    for amendment in db.session.scalars(select(Amendment).where(
            Amendment.status == OPEN, Amendment.escalated_at.is_(None))
            .order_by(Amendment.id)):
        rules = rules_of(amendment.project)
        late = now - amendment.proposed_at
        if rules is None or late <= dt.timedelta(days=rules.due_days):
            continue
        project, number = amendment.project, amendment.number
        gate = gate_of(amendment, rules)
        status = status_of(amendment, gate)
        missing = [s for s in gate.signers if s.party not in status.approvals]
        if amendment.reminded_at is None:
            roles = {r for s in missing for r in s.roles}
            candidates = {u.id: u for u in [
                *workflow._users_of(project, {s.party for s in missing}, roles),
                *workflow.delegates_of(project, now)]}
            users = [u for u in candidates.values()
                     if any(acts_for(u, project, s.party, s.roles) for s in missing)]
            workflow.notify_users(users, "amendment_overdue", project, lambda _lang, p=project,
                                  n=number: _("%(reference)s: amendment No. %(number)d is "
                                              "overdue: your sign-off is awaited.",
                                              reference=p.reference, number=n))
            amendment.reminded_at = now
            sent += len(users)
        if late > 2 * dt.timedelta(days=rules.due_days):
            officers = workflow._users_of(project, ("programme",))
            workflow.notify_users(officers, "amendment_escalated", project,
                                  lambda _lang, p=project, n=number: _(
                                      "%(reference)s: amendment No. %(number)d has waited for "
                                      "its sign-offs twice the time allowed.",
                                      reference=p.reference, number=n))
            amendment.escalated_at = now
            sent += len(officers)
        db.session.flush()
    return sent


# ---------------------------------------------------------------- the diff

@dataclass(frozen=True)
class BudgetRow:
    label: str
    funder_before: str
    funder_after: str
    before: Decimal
    after: Decimal
    share_before: Decimal
    share_after: Decimal
    changed: bool

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class FunderRow:
    funder: str
    before: Decimal
    after: Decimal
    share_before: Decimal
    share_after: Decimal


@dataclass(frozen=True)
class FieldRow:
    label: str
    before: str
    after: str


@dataclass
class Diff:
    kinds: list[str]
    budget: list[BudgetRow] = field(default_factory=list)
    funders: list[FunderRow] = field(default_factory=list)
    total_before: Decimal = Decimal("0")
    total_after: Decimal = Decimal("0")
    fields: list[FieldRow] = field(default_factory=list)


def _share(part: Decimal, total: Decimal) -> Decimal:
    return (part * 100 / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal("0")


def diff(amendment: Amendment, format_date: Any = None) -> Diff:
    """The amendment against the version in force when it was proposed: field by field, and
    budget line by line with totals and shares before and after."""
    from tadafur.i18n import format_day
    from tadafur.projects.services import FUNDER_LABELS

    format_date = format_date or (lambda text: format_day(dt.date.fromisoformat(text))
                                  if text else "—")
    changes = amendment.changes
    result = Diff(kinds=amendment.kind_list)
    budget = changes.get("budget", [])
    if budget:
        result.total_before = sum((Decimal(r["amount"][0]) for r in budget), Decimal("0"))
        result.total_after = sum((Decimal(r["amount"][1]) for r in budget), Decimal("0"))
        for row in budget:
            before, after = Decimal(row["amount"][0]), Decimal(row["amount"][1])
            result.budget.append(BudgetRow(
                row["description"], str(FUNDER_LABELS.get(Funder(row["funder"][0]))),
                str(FUNDER_LABELS.get(Funder(row["funder"][1]))), before, after,
                _share(before, result.total_before), _share(after, result.total_after),
                row["changed"]))
        for funder in Funder:
            before = sum((Decimal(r["amount"][0]) for r in budget
                          if r["funder"][0] == funder.value), Decimal("0"))
            after = sum((Decimal(r["amount"][1]) for r in budget
                         if r["funder"][1] == funder.value), Decimal("0"))
            if before or after:
                result.funders.append(FunderRow(
                    str(FUNDER_LABELS[funder]), before, after,
                    _share(before, result.total_before), _share(after, result.total_after)))
    if "end_date" in changes:
        before, after = changes["end_date"]
        result.fields.append(FieldRow(_("End date"), format_date(before), format_date(after)))
    for row in changes.get("activities", []):
        if row.get("new"):
            when = (f"{format_date(row['planned_start'][1])} – "
                    f"{format_date(row['planned_end'][1])}")
            result.fields.append(FieldRow(_("New activity"), "—",
                                          f"{row['title'][1]} ({when})"))
            continue
        if row.get("removed"):
            result.fields.append(FieldRow(_("Activity removed"), row["title"][0], "—"))
            continue
        for key, label in (("title", _("title")), ("planned_start", _("planned start")),
                           ("planned_end", _("planned end"))):
            before, after = row[key]
            if before != after:
                shown = (lambda v: v or "—") if key == "title" else format_date
                result.fields.append(FieldRow(
                    _("Activity “%(title)s”: %(what)s", title=row["title"][0], what=label),
                    shown(before), shown(after)))
    for row in changes.get("indicators", []):
        if row.get("new"):
            result.fields.append(FieldRow(
                _("New indicator “%(name)s” (%(unit)s): baseline, target",
                  name=row["name"], unit=row["unit"]), "—",
                f"{row['baseline']} → {row['target'][1]}"))
        elif row.get("removed"):
            result.fields.append(FieldRow(
                _("Indicator removed: “%(name)s”", name=row["name"]), row["target"][0], "—"))
        else:
            result.fields.append(FieldRow(
                _("Indicator “%(name)s”: target (%(unit)s)", name=row["name"],
                  unit=row["unit"]), row["target"][0], row["target"][1]))
    for row in changes.get("signatory", []):
        result.fields.append(FieldRow(
            _("Signatory for the party: %(party)s", party=party_label(row["party"])),
            row["name"][0] or "—", row["name"][1]))
    return result


def party_labels(amendment: Amendment) -> list[str]:
    return [party_label(p) for p in amendment.party_list]
