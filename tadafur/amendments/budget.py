"""An amendment's budget: every line before and after, a line added (category, description,
funder, amount, in kind) or removed, and the refusals that keep what already happened true:
no line below what was spent on it, none removed once something was spent on it, no funder's
lines below what it disbursed. Split from `changes` to keep each module readable."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from tadafur.amendments.queries import CENT, TEXT_MAX, AmendmentError
from tadafur.execution.statements import spent_by_line, tranches_by_funder
from tadafur.i18n import format_amount
from tadafur.projects.labels import BUDGET_CATEGORIES
from tadafur.projects.models import Funder, Project

ZERO = "0.00"


def money(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(CENT):.2f}"


def _checked_funder(funder: str, field_name: str) -> str:
    if funder not in {f.value for f in Funder}:
        raise AmendmentError(_("Choose a funder from the list."), field_name)
    return funder


def budget_changes(project: Project, proposal: Any, parse_decimal: Any
                   ) -> tuple[list[dict], bool]:
    """Every line with its amount and funder before and after (a removed line goes to 0.00,
    an added one comes from 0.00, so totals and shares stay sums); whether one changed."""
    rows, changed = [], False
    for line in project.budget_lines:
        wanted = proposal.lines.get(line.id) or {}
        removed = line.id in proposal.removed_lines
        amount = (parse_decimal(wanted["amount"], f"line-{line.id}-amount")
                  if wanted.get("amount") not in (None, "") and not removed else line.amount)
        funder = line.funder if removed else _checked_funder(
            wanted.get("funder") or line.funder, f"line-{line.id}-funder")
        row = {"id": line.id, "category": line.category, "description": line.description,
               "amount": [money(line.amount), ZERO if removed else money(amount)],
               "funder": [line.funder, funder], "in_kind": bool(line.in_kind)}
        row["changed"] = removed or row["amount"][0] != row["amount"][1] or line.funder != funder
        if removed:
            row["removed"] = True
        changed = changed or row["changed"]
        rows.append(row)
    added = new_line(proposal.new_line or {}, parse_decimal)
    if added:
        rows.append(added)
        changed = True
    if changed:
        _respect_what_happened(project, rows)
    return rows, changed


def new_line(wanted: dict, parse_decimal: Any) -> dict | None:
    """The line the form adds, or None when its description is left empty (nothing added).
    Its category comes from the projects' list, as in the budget tab."""
    description = str(wanted.get("description") or "").strip()
    if not description:
        return None
    if len(description) > TEXT_MAX:
        raise AmendmentError(_("At most %(max)d characters.", max=TEXT_MAX),
                             "new-line-description")
    category = wanted.get("category") or ""
    if category not in BUDGET_CATEGORIES:
        raise AmendmentError(_("Choose a category from the list."), "new-line-category")
    funder = _checked_funder(wanted.get("funder") or "", "new-line-funder")
    if wanted.get("amount") in (None, ""):
        raise AmendmentError(_("This field is required."), "new-line-amount")
    amount = parse_decimal(wanted["amount"], "new-line-amount")
    return {"id": None, "new": True, "category": category, "description": description,
            "amount": [ZERO, money(amount)], "funder": [funder, funder],
            "in_kind": bool(wanted.get("in_kind")), "changed": True}


def recheck(project: Project, rows: list[dict]) -> None:
    """The same refusals again when the last party approves: execution goes on while the
    amendment awaits its sign-offs, and an expense recorded on a line meanwhile would
    otherwise be deleted with it (or a tranche paid leave its funder's lines short)."""
    _respect_what_happened(project, rows)


def _field_of(row: dict) -> str:
    if row.get("new"):
        return "new-line-amount"
    return f"line-{row['id']}-remove" if row.get("removed") else f"line-{row['id']}-amount"


def _respect_what_happened(project: Project, rows: list[dict]) -> None:
    """No line below what was spent on it, none removed once an expense was recorded on it
    (its expenses would go with it); no funder's lines below what it disbursed. Refused
    beside the changed field, with both figures."""
    spent = spent_by_line(project)
    for row in rows:
        amount = Decimal(row["amount"][1])
        if row.get("removed") and row["id"] in spent:
            raise AmendmentError(_(
                "%(spent)s of this line's %(amount)s was already spent: it cannot be "
                "removed.", spent=format_amount(spent[row["id"]]),
                amount=format_amount(Decimal(row["amount"][0]))), _field_of(row))
        if row["changed"] and row["id"] and amount < spent.get(row["id"], Decimal("0")):
            raise AmendmentError(_(
                "%(spent)s was already spent on this line: it cannot go down to %(amount)s.",
                spent=format_amount(spent[row["id"]]), amount=format_amount(amount)),
                _field_of(row))
    for funder, (disbursed, _scheduled) in tranches_by_funder(project).items():
        total = sum((Decimal(r["amount"][1]) for r in rows
                     if r["funder"][1] == funder and not r["in_kind"]), Decimal("0"))
        if total < disbursed:
            changed = next((r for r in rows if r["changed"] and funder in r["funder"]), None)
            raise AmendmentError(_(
                "%(disbursed)s was already disbursed by this funder: its lines cannot total "
                "less (%(total)s).", disbursed=format_amount(disbursed),
                total=format_amount(total)),
                _field_of(changed) if changed else None)
