"""What the convention computes from the project: budget lines and totals, each funder's
share, the disbursement schedule, the signatories, the dates; and the fingerprint of the
content it was produced from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.documents.queries import (
    PAID_TRANCHE_FINDERS,
    SIGNATORY_FINDERS,
)
from tadafur.extensions import db
from tadafur.workflow.models import TransitionRecord

TRANCHES = (Decimal("0.40"), Decimal("0.40"), Decimal("0.20"))


CENT = Decimal("0.01")


@dataclass
class BudgetShare:
    funder: str
    total: Decimal
    share: Decimal  # percent, two decimals


@dataclass
class Tranche:
    funder: str
    number: int
    amount: Decimal
    due: str  # "signature" | "interim" | "final"
    date: dt.date | None


@dataclass
class Facts:
    lines: list = field(default_factory=list)
    shares: list[BudgetShare] = field(default_factory=list)
    total: Decimal = Decimal("0")
    tranches: list[Tranche] = field(default_factory=list)


@dataclass
class Deliberation:
    number: str
    date: dt.date | None


def deliberation_of(project: Any) -> Deliberation | None:
    """The council's deliberation as the commune recorded it in the workflow."""

    record = db.session.scalar(
        select(TransitionRecord).where(TransitionRecord.project_id == project.id,
                                       TransitionRecord.trigger == "record_deliberation")
        .order_by(TransitionRecord.seq.desc()).limit(1))
    if record is None or not record.data.get("session_number"):
        return None
    when = record.data.get("session_date")
    return Deliberation(str(record.data["session_number"]),
                        dt.date.fromisoformat(when) if when else None)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` inclusive (1 April to 31 December: 9), so the
    stated duration matches the dates printed beside it."""
    following = end + dt.timedelta(days=1)
    months = (following.year - start.year) * 12 + following.month - start.month
    if following.day < start.day:
        months -= 1
    return max(1, months)


def convention_facts(project: Any) -> dict:
    """Everything the convention computes from the project: totals, shares, schedule, dates."""

    lines = list(project.budget_lines)
    total = sum((line.amount for line in lines), Decimal("0"))
    funders = []
    for line in lines:
        if line.funder not in funders:
            funders.append(line.funder)
    shares = []
    for funder in funders:
        part = sum((line.amount for line in lines if line.funder == funder), Decimal("0"))
        share = (part * 100 / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal("0")
        shares.append(BudgetShare(funder, part, share))

    start, end = project.start_date, project.end_date
    months = None
    midpoint = None
    if start and end:
        months = months_between(start, end)
        midpoint = start + (end - start) / 2
    tranches = []
    paid = [row for finder in PAID_TRANCHE_FINDERS for row in finder(project)]
    stages = list(zip(TRANCHES, ("signature", "interim", "final"),
                      (start, midpoint, end + dt.timedelta(days=30) if end else None),
                      strict=True))
    for share in shares:
        if share.funder not in ("commune", "programme") or not share.total:
            continue
        done = [(amount, day) for funder, amount, day in paid if funder == share.funder]
        for number, (amount, day) in enumerate(done, start=1):
            tranches.append(Tranche(share.funder, number, amount, "paid", day))
        remaining = share.total - sum((amount for amount, _day in done), Decimal("0"))
        ahead = stages[len(done):] or stages[-1:]
        if remaining <= 0:
            continue
        weight = sum((rate for rate, _due, _date in ahead), Decimal("0"))
        amounts = [(remaining * rate / weight).quantize(CENT, ROUND_HALF_UP)
                   for rate, _due, _date in ahead]
        amounts[-1] = remaining - sum(amounts[:-1])
        for number, (amount, (_rate, due, date)) in enumerate(
                zip(amounts, ahead, strict=True), start=len(done) + 1):
            tranches.append(Tranche(share.funder, number, amount, due, date))

    def signatory(role: Role, column: Any, value: int) -> User | None:
        party = "commune" if role == Role.COMMUNE_SIGNATORY else "association"
        for finder in SIGNATORY_FINDERS:
            named = finder(project, party)
            if named is not None:
                return named
        return db.session.scalar(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == role.value, column == value, User.active.is_(True))
            .order_by(User.id).limit(1))

    return {
        "budget_lines": lines, "shares": shares, "budget_total": total, "tranches": tranches,
        "months": months, "interim_date": midpoint,
        "final_report_date": end + dt.timedelta(days=30) if end else None,
        "commune_signatory": signatory(Role.COMMUNE_SIGNATORY, Membership.commune_id,
                                       project.commune_id),
        "association_signatory": signatory(Role.ASSOCIATION_SIGNATORY,
                                           Membership.association_id,
                                           project.lead_association_id),
        "deliberation": deliberation_of(project), "signature_date": None,
        "originals": int(current_app.config.get("DOCUMENTS_ORIGINALS", 4)),
        "programme_name": current_app.config.get(
            "PROGRAMME_NAME", {"ar": "برنامج تضافر", "fr": "Programme Tadafur"}),
        "court": current_app.config.get(
            "DOCUMENTS_COURT", {"ar": "المحكمة الإدارية المختصة",
                                "fr": "le tribunal administratif compétent"}),
    }


def content_fingerprint(project: Any) -> str:
    """SHA-256 of the project's content as the convention states it (printed, shortened)."""
    values = {
        "reference": project.reference, "title_ar": project.title_ar,
        "title_fr": project.title_fr, "objectives": project.objectives,
        "commune": project.commune_id, "association": project.lead_association_id,
        "partners": sorted(a.id for a in project.partners),
        "start": project.start_date.isoformat() if project.start_date else None,
        "end": project.end_date.isoformat() if project.end_date else None,
        "budget": [[line.category, line.description, str(line.amount), line.funder,
                    bool(line.in_kind)] for line in project.budget_lines],
    }
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
