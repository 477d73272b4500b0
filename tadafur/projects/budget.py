"""A project's budget summary: the total, the public contribution and each funder's share
(in kind included), as the budget tab and the convention show them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tadafur.projects.labels import FUNDER_LABELS
from tadafur.projects.models import (
    Funder,
    Project,
)


@dataclass(frozen=True)
class FunderShare:
    funder: str
    label: str
    amount: Decimal
    in_kind: Decimal
    share: Decimal  # percent of the total, one decimal


@dataclass(frozen=True)
class BudgetSummary:
    total: Decimal
    public: Decimal
    shares: list[FunderShare]


def budget_summary(project: Project) -> BudgetSummary:
    """Totals per funder (cash and in kind) and each funder's share of the whole."""
    total = project.total()
    shares = []
    for funder in Funder:
        lines = [x for x in project.budget_lines if x.funder == funder.value]
        amount = sum((x.amount for x in lines), Decimal("0"))
        in_kind = sum((x.amount for x in lines if x.in_kind), Decimal("0"))
        share = (amount * 100 / total).quantize(Decimal("0.1")) if total else Decimal("0")
        shares.append(FunderShare(funder.value, str(FUNDER_LABELS[funder]), amount, in_kind,
                                  share))
    return BudgetSummary(total, project.public_contribution, shares)
