"""An amendment's diff against the version in force: budget lines, funders' totals and shares
before and after, the end date, activities, indicators and signatories, as the amendment
page and its sealed PDF show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _

from tadafur.amendments.queries import (
    CENT,
)
from tadafur.i18n import format_day
from tadafur.projects.labels import FUNDER_LABELS
from tadafur.projects.models import Funder
from tadafur.workflow.labels import party_label

from .models import Amendment


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
    mark: str = ""  # "added", "removed" or "changed" (a code: the templates word it)

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
                row["changed"], _mark(row)))
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


def _mark(row: dict) -> str:
    if row.get("new"):
        return "added"
    if row.get("removed"):
        return "removed"
    return "changed" if row["changed"] else ""


def party_labels(amendment: Amendment) -> list[str]:
    return [party_label(p) for p in amendment.party_list]
