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
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tadafur import access
from tadafur.accounts.models import User
from tadafur.audit.services import changes, record
from tadafur.execution import attachments as files
from tadafur.execution.models import (
    ActivityProgress,
    Attachment,
    Expense,
    IndicatorValue,
    Tranche,
)
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Activity, BudgetLine, Funder, Indicator, Project
from tadafur.projects.services import BUDGET_CATEGORIES, FUNDER_LABELS, lock
from tadafur.workflow import dates
from tadafur.workflow import services as workflow

RECORDING_STATES = frozenset({"in_execution"})
SHOWN_PHASES = frozenset({"execution", "follow_up", "evaluation"})
ZERO = Decimal("0")
CENT = Decimal("0.01")
CELLS = ("women_youth", "women_adult", "men_youth", "men_adult")


class ExecutionError(Exception):
    """A refusal with a translated message (and the form field it concerns, if any)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def accepts_records(project: Project) -> bool:
    """Tranches, expenses, progress, values and evidence are recorded in execution only."""
    return project.state in RECORDING_STATES


def shows_execution(project: Project) -> bool:
    """The execution tab and the budget-against-actual summary: from execution onwards."""
    return workflow.phase_of(project) in SHOWN_PHASES


def _ensure_recording(project: Project) -> None:
    if not accepts_records(project):
        raise ExecutionError(_("This project is not in execution: nothing can be recorded."))


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else ZERO


# ---------------------------------------------------------------- budget against actual

@dataclass(frozen=True)
class LineStatement:
    """One budget line: what was planned on it and what was spent against it."""

    line_id: int
    category: str
    category_label: str
    description: str
    funder: str
    funder_label: str
    in_kind: bool
    planned: Decimal
    spent: Decimal
    remaining: Decimal  # planned - spent (negative when overspent)
    percent_spent: Decimal  # of planned, one decimal; 0 when nothing was planned


@dataclass(frozen=True)
class FunderStatement:
    """One funder: its budget lines' total, its paid and scheduled tranches, the spending
    recorded against its lines."""

    funder: str
    label: str
    planned: Decimal  # the budget lines of this funder
    disbursed: Decimal  # its paid tranches
    scheduled: Decimal  # its tranches planned but not paid yet
    spent: Decimal  # expenses recorded against its lines
    remaining: Decimal  # planned - spent
    percent_disbursed: Decimal  # disbursed / planned
    percent_spent: Decimal  # spent / planned


@dataclass(frozen=True)
class BudgetStatement:
    """Budget against actual for one project: per line, per funder, and in total."""

    lines: list[LineStatement]
    funders: list[FunderStatement]  # every funder with a line or a tranche, in Funder order
    planned: Decimal
    disbursed: Decimal
    scheduled: Decimal
    spent: Decimal
    remaining: Decimal
    percent_disbursed: Decimal
    percent_spent: Decimal

    def funder(self, funder: str) -> FunderStatement | None:
        return next((f for f in self.funders if f.funder == funder), None)


def spent_by_line(project: Project) -> dict[int, Decimal]:
    rows = db.session.execute(
        select(Expense.budget_line_id, func.sum(Expense.amount))
        .where(Expense.project_id == project.id).group_by(Expense.budget_line_id))
    return {line_id: Decimal(total or 0) for line_id, total in rows}


def tranches_by_funder(project: Project) -> dict[str, tuple[Decimal, Decimal]]:
    """{funder: (paid, scheduled)} of the project's tranches."""
    paid = Tranche.paid_on.is_not(None)
    rows = db.session.execute(
        select(Tranche.funder,
               func.sum(db.case((paid, Tranche.amount), else_=0)),
               func.sum(db.case((paid, 0), else_=Tranche.amount)))
        .where(Tranche.project_id == project.id).group_by(Tranche.funder))
    return {funder: (Decimal(p or 0), Decimal(s or 0)) for funder, p, s in rows}


def budget_statement(project: Project) -> BudgetStatement:
    """Budget against actual: each budget line's planned amount, the expenses recorded
    against it, what remains and the percent spent; each funder's planned share, paid
    (disbursed) and scheduled tranches and spending; the totals. Two grouped queries
    (plus the budget lines when not loaded yet), whatever the number of rows."""
    spent = spent_by_line(project)
    tranches = tranches_by_funder(project)
    lines = []
    for line in project.budget_lines:
        line_spent = spent.get(line.id, ZERO)
        lines.append(LineStatement(
            line.id, line.category, str(BUDGET_CATEGORIES.get(line.category, line.category)),
            line.description, line.funder, _funder_label(line.funder), bool(line.in_kind),
            line.amount, line_spent, line.amount - line_spent,
            _percent(line_spent, line.amount)))
    funders = []
    present = {x.funder for x in lines} | set(tranches)
    for funder in [f.value for f in Funder] + sorted(present - {f.value for f in Funder}):
        if funder not in present:
            continue
        planned = sum((x.planned for x in lines if x.funder == funder), ZERO)
        used = sum((x.spent for x in lines if x.funder == funder), ZERO)
        paid, scheduled = tranches.get(funder, (ZERO, ZERO))
        funders.append(FunderStatement(funder, _funder_label(funder), planned, paid, scheduled,
                                       used, planned - used, _percent(paid, planned),
                                       _percent(used, planned)))
    planned = sum((x.planned for x in lines), ZERO)
    disbursed = sum((f.disbursed for f in funders), ZERO)
    scheduled = sum((f.scheduled for f in funders), ZERO)
    used = sum((x.spent for x in lines), ZERO)
    return BudgetStatement(lines, funders, planned, disbursed, scheduled, used, planned - used,
                           _percent(disbursed, planned), _percent(used, planned))


@dataclass(frozen=True)
class ClosureRow:
    """One funder at the financial closure: its share in money (in-kind lines are not
    disbursed), what it paid, what was spent on its lines, and the gaps that need a
    justification: money not disbursed, spending above what was disbursed."""

    funder: str
    label: str
    budgeted: Decimal
    disbursed: Decimal
    spent: Decimal
    remaining: Decimal  # disbursed - spent
    undisbursed: Decimal  # budgeted - disbursed, when positive
    overspent: Decimal  # spent - disbursed, when positive

    @property
    def gap(self) -> bool:
        return self.undisbursed > 0 or self.overspent > 0


def financial_closure(project: Project, statement: BudgetStatement | None = None
                      ) -> list[ClosureRow]:
    """Budgeted, disbursed, spent and remaining per funder paid in money, for the closure."""
    statement = statement or budget_statement(project)
    rows = []
    for funder in statement.funders:
        cash = [x for x in statement.lines if x.funder == funder.funder and not x.in_kind]
        budgeted = sum((x.planned for x in cash), ZERO)
        if not budgeted and not funder.disbursed:
            continue  # in kind only: nothing to disburse
        spent = sum((x.spent for x in cash), ZERO)
        rows.append(ClosureRow(funder.funder, funder.label, budgeted, funder.disbursed, spent,
                               funder.disbursed - spent,
                               max(budgeted - funder.disbursed, ZERO),
                               max(spent - funder.disbursed, ZERO)))
    return rows


def _funder_label(funder: str) -> str:
    try:
        return str(FUNDER_LABELS[Funder(funder)])
    except ValueError:
        return funder


# ---------------------------------------------------------------- indicators against targets

@dataclass(frozen=True)
class Breakdown:
    """A value split by sex and age group (youth = 15 to 34). Cells are None when the value
    was not disaggregated; `total` is always there."""

    women_youth: Decimal | None
    women_adult: Decimal | None
    men_youth: Decimal | None
    men_adult: Decimal | None
    total: Decimal

    @property
    def disaggregated(self) -> bool:
        return any(getattr(self, c) is not None for c in CELLS)

    def _sum(self, *cells: str) -> Decimal | None:
        values = [getattr(self, c) for c in cells]
        return None if all(v is None for v in values) else sum((v or ZERO for v in values),
                                                                ZERO)

    @property
    def women(self) -> Decimal | None:
        return self._sum("women_youth", "women_adult")

    @property
    def men(self) -> Decimal | None:
        return self._sum("men_youth", "men_adult")

    @property
    def youth(self) -> Decimal | None:
        return self._sum("women_youth", "men_youth")

    @property
    def adult(self) -> Decimal | None:
        return self._sum("women_adult", "men_adult")


@dataclass(frozen=True)
class PeriodValue:
    """The value measured over one period (`value_id` identifies the stored row)."""

    value_id: int
    period_start: dt.date
    period_end: dt.date
    value: Breakdown
    note: str


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator against its baseline and target.

    `achieved` follows the indicator's nature: for an output indicator, or one that counts
    the people reached, each period's value is what was added in that period, so achieved is
    the `cumulative` sum; for an outcome indicator (a rate, a score) each value is the level
    measured then, so achieved is the `latest` value. `percent_of_target` is achieved / target
    (None when the target is 0 or nothing was measured yet). `achieved_breakdown` splits
    `achieved` the same way (cells None when not disaggregated).
    """

    indicator_id: int
    position: int
    level: str
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    disaggregated: bool
    counts_people: bool
    cumulative_kind: bool  # True: achieved = cumulative; False: achieved = latest
    periods: list[PeriodValue]  # oldest first
    latest: Decimal | None
    cumulative: Decimal
    achieved: Decimal | None
    achieved_breakdown: Breakdown | None
    percent_of_target: Decimal | None


def _sum_breakdowns(values: list[Breakdown]) -> Breakdown:
    cells = {}
    for cell in CELLS:
        found = [getattr(v, cell) for v in values if getattr(v, cell) is not None]
        cells[cell] = sum(found, ZERO) if found else None
    return Breakdown(**cells, total=sum((v.total for v in values), ZERO))


def values_by_indicator(project: Project,
                        period_end: dt.date | None = None) -> dict[int, list[IndicatorValue]]:
    statement = (select(IndicatorValue).where(IndicatorValue.project_id == project.id)
                 .order_by(IndicatorValue.indicator_id, IndicatorValue.period_end))
    if period_end is not None:
        statement = statement.where(IndicatorValue.period_end <= period_end)
    found: dict[int, list[IndicatorValue]] = defaultdict(list)
    for row in db.session.scalars(statement):
        found[row.indicator_id].append(row)
    return found


def indicator_results(project: Project, period_end: dt.date | None = None
                      ) -> list[IndicatorResult]:
    """Every indicator of the project (in plan order) with its values per period up to
    `period_end` (all when None), its latest and cumulative values, what is achieved and
    the percent of the target. Two queries whatever the number of values."""
    values = values_by_indicator(project, period_end)
    results = []
    for indicator in project.indicators:
        periods = [PeriodValue(v.id, v.period_start, v.period_end,
                               Breakdown(v.women_youth, v.women_adult, v.men_youth,
                                         v.men_adult, v.total), v.note or "")
                   for v in values.get(indicator.id, [])]
        cumulative_kind = indicator.level == "output" or bool(indicator.counts_people)
        breakdown = None
        if periods:
            breakdown = (_sum_breakdowns([p.value for p in periods]) if cumulative_kind
                         else periods[-1].value)
        cumulative = sum((p.value.total for p in periods), ZERO)
        latest = periods[-1].value.total if periods else None
        achieved = breakdown.total if breakdown else None
        percent = (_percent(achieved, indicator.target)
                   if achieved is not None and indicator.target else None)
        results.append(IndicatorResult(
            indicator.id, indicator.position, indicator.level, indicator.name, indicator.unit,
            indicator.baseline, indicator.target, bool(indicator.disaggregated),
            bool(indicator.counts_people), cumulative_kind, periods, latest, cumulative,
            achieved, breakdown, percent))
    return results


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
    _audit("tranche.recorded", actor, project, tranche, _funder_label(funder), None,
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
    _audit("tranche.paid", actor, project, tranche, _funder_label(tranche.funder), old, new)
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
    files.write(attachment.stored_name, data)
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
    from flask import abort

    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.project_id != project_id:
        abort(404)
    return attachment


def paid_tranches(project: Project) -> list[tuple[str, Decimal, dt.date]]:
    """(funder, amount, paid on) of the paid tranches, oldest first: the consolidated
    convention keeps them as paid and spreads only what remains (documents hook)."""
    return [(t.funder, t.amount, t.paid_on) for t in tranches_of(project) if t.paid]


def _register() -> None:
    from tadafur.documents import services as documents

    if paid_tranches not in documents.PAID_TRANCHE_FINDERS:
        documents.PAID_TRANCHE_FINDERS.append(paid_tranches)


_register()
