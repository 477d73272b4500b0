"""What the execution adds up to, read-only: the budget against actual (per line and funder,
tranches received) and the indicators against their targets (per period, disaggregated by
sex and age). Read by the execution tab, the reports and the open data; re-exported by the
execution services."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from tadafur.execution.models import (
    Expense,
    IndicatorValue,
    Tranche,
)
from tadafur.extensions import db
from tadafur.projects.labels import BUDGET_CATEGORIES, FUNDER_LABELS
from tadafur.projects.models import Funder, Project

ZERO = Decimal("0")


CENT = Decimal("0.01")


CELLS = ("women_youth", "women_adult", "men_youth", "men_adult")


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else ZERO


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
            line.description, line.funder, funder_label(line.funder), bool(line.in_kind),
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
        funders.append(FunderStatement(funder, funder_label(funder), planned, paid, scheduled,
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


def funder_label(funder: str) -> str:
    try:
        return str(FUNDER_LABELS[Funder(funder)])
    except ValueError:
        return funder


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
