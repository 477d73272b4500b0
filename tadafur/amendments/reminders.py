"""Overdue amendments (for cron, with `flask reminders`): a reminder to each party still
awaited, then a notice to the programme officers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.access import acts_for
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
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.vocabulary import phrase
from tadafur.workflow import services as workflow

from .models import OPEN, Amendment


def send_reminders(now: dt.datetime | None = None) -> int:
    """Open amendments past the definition's `due_days` (for cron, with `flask reminders`):
    once, a reminder to each party still awaited (signatory and delegate); once, past twice
    that, a notice to the programme officers."""
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
                *workflow.users_of(project, {s.party for s in missing}, roles),
                *workflow.delegates_of(project, now)]}
            users = [u for u in candidates.values()
                     if any(acts_for(u, project, s.party, s.roles) for s in missing)]
            workflow.notify_users(users, "amendment_overdue", project, phrase(
                                  "%(reference)s: amendment No. %(number)d is "
                                  "overdue: your sign-off is awaited.",
                                  reference=project.reference, number=number))
            amendment.reminded_at = now
            sent += len(users)
        if late > 2 * dt.timedelta(days=rules.due_days):
            officers = workflow.users_of(project, ("programme",))
            workflow.notify_users(officers, "amendment_escalated", project,
                                  phrase(
                                      "%(reference)s: amendment No. %(number)d has waited for "
                                      "its sign-offs twice the time allowed.",
                                      reference=project.reference, number=number))
            amendment.escalated_at = now
            sent += len(officers)
        db.session.flush()
    return sent
