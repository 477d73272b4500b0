"""Execution of a project: disbursement tranches, expenses per budget line, activity progress,
indicator values per period and evidence files; and the two statements other modules read:

- `budget_statement(project)`: budget against actual, per budget line and per funder;
- `indicator_results(project, period_end=None)`: each indicator against baseline and target.

Who may record what is decided in `tadafur.access` (the "execution" block). Whether the project
accepts records is decided here: only while its state is `in_execution` (a suspended,
terminated, reported, evaluated or closed project is read-only; its statements stay visible).

Every change is audited in the caller's transaction (services flush, the request commits once).
Bad input raises `ExecutionError` with a translated message and the form field it concerns,
before anything is added to the session or written to disk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tadafur import access
from tadafur.accounts.models import User
from tadafur.audit.services import changes, record
from tadafur.errors import TadafurError
from tadafur.execution import attachments as files
from tadafur.execution.models import (
    ActivityProgress,
    Attachment,
    Expense,
    IndicatorValue,
    Tranche,
)
from tadafur.execution.statements import (  # moved; importable from here as before
    CELLS as CELLS,
    CENT as CENT,
    ZERO as ZERO,
    Breakdown as Breakdown,
    BudgetStatement as BudgetStatement,
    ClosureRow as ClosureRow,
    FunderStatement as FunderStatement,
    IndicatorResult as IndicatorResult,
    LineStatement as LineStatement,
    PeriodValue as PeriodValue,
    budget_statement as budget_statement,
    financial_closure as financial_closure,
    funder_label,
    indicator_results as indicator_results,
    spent_by_line as spent_by_line,
    tranches_by_funder as tranches_by_funder,
    values_by_indicator as values_by_indicator,
)
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Activity, BudgetLine, Funder, Indicator, Project
from tadafur.projects.rowlock import lock
from tadafur.workflow import dates, services as workflow

SHOWN_PHASES = frozenset({"execution", "follow_up", "evaluation"})


class ExecutionError(TadafurError):
    """A refusal with a translated message (and the form field it concerns, if any)."""


def accepts_records(project: Project) -> bool:
    """Tranches, expenses, progress, values and evidence are recorded only in the states the
    workflow file marks `records_execution`."""
    return workflow.definition_of(project).state(project.state).records_execution


def shows_execution(project: Project) -> bool:
    """The execution tab and the budget-against-actual summary: from execution onwards."""
    return workflow.phase_of(project) in SHOWN_PHASES


def _ensure_recording(project: Project) -> None:
    if not accepts_records(project):
        raise ExecutionError(_("This project is not in execution: nothing can be recorded."))


# ---------------------------------------------------------------- checks shared by the records

def _money(value: Any, field: str) -> Decimal:
    if value is None or not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        raise ExecutionError(_("Enter an amount in dirhams, e.g. 12500.50."), field)
    amount = Decimal(value).quantize(CENT)
    if amount <= 0:
        raise ExecutionError(_("Enter an amount greater than zero."), field)
    if amount >= Decimal("1000000000000"):
        raise ExecutionError(_("This amount is too large."), field)
    return amount


def _in_period(project: Project, day: dt.date | None, field: str,
               kind: str = "expense") -> dt.date:
    """A date allowed for `kind` by the workflow's date rules (`dates:`), which name the
    range when they refuse (signature, the project's period and its grace, today)."""
    try:
        return dates.check(project, kind, day, field)
    except dates.DateRefused as refused:
        raise ExecutionError(refused.message, field) from None


def _owned(model: Any, project: Project, row_id: Any, field: str | None = None) -> Any:
    row = db.session.get(model, row_id) if isinstance(row_id, int) else None
    if row is None or row.project_id != project.id:
        raise ExecutionError(_("Choose an item of this project from the list."), field)
    return row


def _audit(action: str, actor: User, project: Project, obj: Any, summary: str,
           before: dict | None, after: dict | None) -> None:
    db.session.flush()
    record(action, obj=obj, project=project, actor=actor,
           summary=f"{project.reference}: {summary}", before=before, after=after)


# ---------------------------------------------------------------- tranches

def _tranche_values(tranche: Tranche) -> dict:
    return {"funder": tranche.funder, "amount": tranche.amount,
            "planned_on": tranche.planned_on, "paid_on": tranche.paid_on,
            "justification": tranche.justification}


def _check_paid_total(project: Project, funder: str, amount: Decimal,
                      justification: str | None, exclude_id: int | None = None) -> None:
    """A funder may pay more than its budget lines only with a written justification."""
    statement = select(func.coalesce(func.sum(Tranche.amount), 0)).where(
        Tranche.project_id == project.id, Tranche.funder == funder,
        Tranche.paid_on.is_not(None))
    if exclude_id is not None:
        statement = statement.where(Tranche.id != exclude_id)
    paid = Decimal(db.session.scalar(statement) or 0)
    planned = project.total(Funder(funder))
    if paid + amount > planned and not justification:
        raise ExecutionError(
            _("Paid tranches would exceed this funder's budget; explain why in the "
              "justification."), "justification")


def offered_funders(actor: User, project: Project) -> set[str]:
    """The funders whose tranches `actor` is offered: their own, and only a share paid in
    money (a funder without a budget line, or whose lines are all in kind, disburses
    nothing)."""
    shares = {line.funder for line in project.budget_lines if not line.in_kind}
    return access.tranche_funders(actor, project) & shares


def record_tranche(actor: User, project: Project, values: dict) -> Tranche:
    """A disbursement tranche of one funder, planned (and possibly already paid); audited."""
    project = lock(project)
    _ensure_recording(project)
    funder = values.get("funder") or ""
    if funder not in {f.value for f in Funder}:
        raise ExecutionError(_("Choose a funder from the list."), "funder")
    if funder not in access.tranche_funders(actor, project):
        raise ExecutionError(_("You may record the tranches of your own contribution only."),
                             "funder")
    if funder not in offered_funders(actor, project):
        raise ExecutionError(_("This funder has no share paid in money in the budget: "
                               "there is no tranche to record."), "funder")
    amount = _money(values.get("amount"), "amount")
    paid_on = values.get("paid_on")
    if paid_on is not None:
        _in_period(project, paid_on, "paid_on", "tranche_paid")
    planned_on = values.get("planned_on") or paid_on
    planned_on = _in_period(project, planned_on, "planned_on", "tranche_planned")
    justification = (values.get("justification") or "").strip() or None
    if paid_on is not None:
        _check_paid_total(project, funder, amount, justification)
    tranche = Tranche(project_id=project.id, funder=funder, amount=amount,
                      planned_on=planned_on, paid_on=paid_on, justification=justification,
                      created_by_id=actor.id, created_at=utcnow())
    db.session.add(tranche)
    _audit("tranche.recorded", actor, project, tranche, funder_label(funder), None,
           _tranche_values(tranche))
    return tranche


def pay_tranche(actor: User, project: Project, tranche_id: int, paid_on: dt.date | None,
                justification: str | None = None) -> Tranche:
    """Mark a planned tranche paid on a date; audited with before and after."""
    project = lock(project)
    _ensure_recording(project)
    tranche = _owned(Tranche, project, tranche_id)
    if tranche.funder not in access.tranche_funders(actor, project):
        raise ExecutionError(_("You may record the tranches of your own contribution only."))
    if tranche.paid:
        raise ExecutionError(_("This tranche is already paid."))
    _in_period(project, paid_on, "paid_on", "tranche_paid")
    justification = (justification or "").strip() or tranche.justification
    _check_paid_total(project, tranche.funder, tranche.amount, justification, tranche.id)
    before = _tranche_values(tranche)
    tranche.paid_on, tranche.justification = paid_on, justification
    old, new = changes(before, _tranche_values(tranche))
    _audit("tranche.paid", actor, project, tranche, funder_label(tranche.funder), old, new)
    return tranche


def tranches_of(project: Project) -> list[Tranche]:
    return list(db.session.scalars(select(Tranche).where(Tranche.project_id == project.id)
                                   .order_by(Tranche.planned_on, Tranche.id)))


# ---------------------------------------------------------------- expenses

def record_expense(actor: User, project: Project, values: dict) -> Expense:
    """Money spent against one of the project's budget lines; audited."""
    project = lock(project)
    _ensure_recording(project)
    line = _owned(BudgetLine, project, values.get("budget_line_id"), "budget_line_id")
    amount = _money(values.get("amount"), "amount")
    spent_on = _in_period(project, values.get("spent_on"), "spent_on", "expense")
    description = (values.get("description") or "").strip()
    if not description:
        raise ExecutionError(_("This field is required."), "description")
    expense = Expense(project_id=project.id, budget_line_id=line.id, amount=amount,
                      spent_on=spent_on, description=description[:300],
                      created_by_id=actor.id, created_at=utcnow())
    db.session.add(expense)
    _audit("expense.recorded", actor, project, expense, line.description, None,
           {"budget_line_id": line.id, "amount": amount, "spent_on": spent_on,
            "description": expense.description})
    return expense


def expenses_of(project: Project) -> list[Expense]:
    return list(db.session.scalars(
        select(Expense).where(Expense.project_id == project.id)
        .options(joinedload(Expense.budget_line))
        .order_by(Expense.spent_on.desc(), Expense.id.desc())))


# ---------------------------------------------------------------- activity progress

def record_progress(actor: User, project: Project, values: dict) -> ActivityProgress:
    """How far an activity is (0 to 100 percent) with a note; the newest report counts."""
    project = lock(project)
    _ensure_recording(project)
    activity = _owned(Activity, project, values.get("activity_id"), "activity_id")
    percent = values.get("percent")
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ExecutionError(_("Enter a percentage from 0 to 100."), "percent")
    progress = ActivityProgress(project_id=project.id, activity_id=activity.id,
                                percent=percent, note=(values.get("note") or "").strip(),
                                reported_on=utcnow().date(), created_by_id=actor.id,
                                created_at=utcnow())
    previous = latest_progress(project).get(activity.id)
    db.session.add(progress)
    _audit("activity.progress_reported", actor, project, progress, activity.title,
           {"percent": previous.percent} if previous else None,
           {"activity_id": activity.id, "percent": percent, "note": progress.note})
    _follow_progress(actor, project, activity, percent)
    return progress


def latest_progress(project: Project) -> dict[int, ActivityProgress]:
    """{activity id: its newest progress report}, in one query."""
    newest = (select(func.max(ActivityProgress.id))
              .where(ActivityProgress.project_id == project.id)
              .group_by(ActivityProgress.activity_id))
    rows = db.session.scalars(select(ActivityProgress).where(ActivityProgress.id.in_(newest)))
    return {row.activity_id: row for row in rows}


def progress_status(percent: int | None, activity: Activity | None = None) -> str:
    """One status for an activity, shown alike in the plan and the execution tabs: its own
    status when done or closed, else what its progress says."""
    if activity is not None and activity.status in ("done", "closed"):
        return activity.status
    if not percent:
        return "not_started"
    return "done" if percent >= 100 else "in_progress"


def _follow_progress(actor: User, project: Project, activity: Activity, percent: int) -> None:
    """Progress and status are one: 100 % marks the activity done (what "Declare the
    execution complete" checks); less than 100 % after done puts it back to planned."""
    new = ("done" if percent >= 100 and activity.status == "planned"
           else "planned" if percent < 100 and activity.status == "done" else None)
    if new is None:
        return
    before = {"status": activity.status}
    activity.status = new
    db.session.flush()
    record("activity.status_changed", obj=activity, project=project, actor=actor,
           summary=f"{project.reference}: {activity.title}", before=before,
           after={"status": new, "percent": percent})


# ---------------------------------------------------------------- indicator values

def _value_cell(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal | int) or not Decimal(value).is_finite() or value < 0:
        raise ExecutionError(_("Enter a number of zero or more."), field)
    if value >= Decimal("1000000000000"):
        raise ExecutionError(_("This number is too large."), field)
    return Decimal(value).quantize(CENT)


def _value_fields(row: IndicatorValue) -> dict:
    return {"period_start": row.period_start, "period_end": row.period_end,
            **{c: getattr(row, c) for c in CELLS}, "total": row.total, "note": row.note}


def record_indicator_value(actor: User, project: Project, values: dict) -> IndicatorValue:
    """The value of an indicator over a period. A disaggregated indicator takes the four
    cells (women/men x youth/adult; total = their sum); the others a total. Recording a
    period that already has a value corrects it (audited with before and after)."""
    project = lock(project)
    _ensure_recording(project)
    indicator = _owned(Indicator, project, values.get("indicator_id"), "indicator_id")
    start = _in_period(project, values.get("period_start"), "period_start",
                       "indicator_period")
    end = _in_period(project, values.get("period_end"), "period_end", "indicator_period")
    if end < start:
        raise ExecutionError(_("The end date must not be before the start date."),
                             "period_end")
    cells = {c: _value_cell(values.get(c), c) for c in CELLS}
    total = _value_cell(values.get("total"), "total")
    if indicator.disaggregated:
        if all(v is None for v in cells.values()):
            raise ExecutionError(_("Enter the values by sex and age group."), "women_youth")
        cells = {c: v or ZERO for c, v in cells.items()}
        computed = sum(cells.values(), ZERO)
        if total is not None and total != computed:
            raise ExecutionError(_("The total must be the sum of the four values "
                                   "(%(sum)s).", sum=computed), "total")
        total = computed
    else:
        if total is None:
            raise ExecutionError(_("Enter the total."), "total")
        cells = dict.fromkeys(CELLS)
    row = db.session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period_end == end))
    before = _value_fields(row) if row is not None else None
    if row is None:
        row = IndicatorValue(project_id=project.id, indicator_id=indicator.id,
                             created_by_id=actor.id, created_at=utcnow())
        db.session.add(row)
    row.period_start, row.period_end, row.total = start, end, total
    row.note = (values.get("note") or "").strip()
    for cell, value in cells.items():
        setattr(row, cell, value)
    old, new = changes(before or {}, _value_fields(row))
    _audit("indicator.value_corrected" if before else "indicator.value_recorded", actor,
           project, row, indicator.name, old if before else None,
           {"indicator_id": indicator.id, **new})
    return row


# ---------------------------------------------------------------- evidence files

def check_upload(data: bytes) -> files.Kind:
    """The kind of an uploaded file, or a refusal (too large, empty, not a PDF/JPEG/PNG)."""
    limit = files.max_bytes()
    if len(data) > limit:
        raise ExecutionError(_("The file is too large: at most %(size)s.",
                               size=files.size_text(limit)), "file")
    if not data:
        raise ExecutionError(_("Choose a file."), "file")
    kind = files.sniff(data)
    if kind is None:
        raise ExecutionError(_("Only PDF documents and JPEG or PNG photos are accepted."),
                             "file")
    return kind


def store_attachment(actor: User, project: Project, data: bytes, filename: str | None,
                     activity_id: int | None = None, caption: str = "") -> Attachment:
    """Check an evidence file by its content and size, register it and write it under a
    random name; audited. The row is flushed before the file is written: if the write
    fails nothing is left; if the transaction fails later the caller calls
    `discard_attachment` (the file is then removed)."""
    project = lock(project)
    _ensure_recording(project)
    kind = check_upload(data)
    activity = (_owned(Activity, project, activity_id, "activity_id")
                if activity_id is not None else None)
    attachment = Attachment(
        project_id=project.id, activity_id=activity.id if activity else None,
        stored_name=files.new_name(), display_name=files.display_name(filename, kind),
        content_type=kind.content_type, size=len(data), sha256=files.sha256_of(data),
        caption=(caption or "").strip()[:300], uploaded_by_id=actor.id, created_at=utcnow())
    db.session.add(attachment)
    _audit("attachment.uploaded", actor, project, attachment, attachment.display_name, None,
           {"name": attachment.display_name, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256,
            "activity_id": attachment.activity_id})
    files.write(attachment.stored_name, data, attachment.content_type)
    return attachment


def discard_attachment(attachment: Attachment) -> None:
    files.discard(attachment.stored_name)


def read_attachment(actor: User, attachment: Attachment, project: Project) -> bytes:
    """The file's bytes, checked against the hash recorded at upload; the download is
    audited (the caller commits)."""
    data = files.read(attachment.stored_name)
    if files.sha256_of(data) != attachment.sha256:
        raise ExecutionError(_("This file is damaged; the administrators were told."))
    record("attachment.downloaded", obj=attachment, project=project, actor=actor,
           summary=f"{project.reference}: {attachment.display_name}",
           after={"sha256": attachment.sha256})
    return data


def attachments_of(project: Project) -> list[Attachment]:
    return list(db.session.scalars(
        select(Attachment).where(Attachment.project_id == project.id)
        .options(joinedload(Attachment.uploaded_by), joinedload(Attachment.activity))
        .order_by(Attachment.id.desc())))


def attachment_or_404(project_id: int, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.project_id != project_id:
        abort(404)
    return attachment


def paid_tranches(project: Project) -> list[tuple[str, Decimal, dt.date]]:
    """(funder, amount, paid on) of the paid tranches, oldest first: the consolidated
    convention keeps them as paid and spreads only what remains (documents hook)."""
    return [(t.funder, t.amount, t.paid_on) for t in tranches_of(project) if t.paid]

