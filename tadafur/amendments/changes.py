"""What a proposed amendment would change, checked field by field against the version in
force: budget lines (amount, funder), the end date, activities, indicators' targets, a
signatory; and whether the programme officer must sign too. Used by `propose`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.accounts.models import Membership, User
from tadafur.amendments.budget import budget_changes as _budget_changes, money
from tadafur.amendments.queries import (
    CENT,
    TEXT_MAX,
    AmendmentError,
)
from tadafur.documents.services import convention_facts
from tadafur.execution.models import ActivityProgress, Attachment, IndicatorValue
from tadafur.extensions import db
from tadafur.projects.errors import ProjectError
from tadafur.projects.models import Activity, Indicator, Project
from tadafur.projects.plan import check_activity_dates

from .models import APPROVED, Amendment


def parse_decimal(raw: Any, field_name: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise AmendmentError(_("Enter an amount of zero or more."), field_name) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise AmendmentError(_("Enter an amount of zero or more."), field_name)
    return value.quantize(CENT, ROUND_HALF_UP)


def parse_date(raw: Any, field_name: str) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AmendmentError(_("Enter a date (YYYY-MM-DD)."), field_name) from None


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Proposal:
    """What the proposal form asks, by item id (strings as typed, or parsed values)."""

    end_date: Any = None
    lines: dict[int, dict] = field(default_factory=dict)
    activities: dict[int, dict] = field(default_factory=dict)
    indicators: dict[int, dict] = field(default_factory=dict)
    signatories: dict[str, Any] = field(default_factory=dict)  # party -> user id
    new_activity: dict | None = None  # title, planned_start, planned_end
    new_line: dict | None = None  # category, description, funder, amount, in_kind
    removed_lines: set[int] = field(default_factory=set)
    new_indicator: dict | None = None  # level, name, unit, baseline, target
    removed_activities: set[int] = field(default_factory=set)
    removed_indicators: set[int] = field(default_factory=set)


SIGNATORY_ROLES = {"commune": "commune_signatory", "association": "association_signatory"}


def signatory_choices(project: Project, party: str) -> list:
    """Active users who hold the party's signatory role in the project's commune or lead
    association: whom an amendment may name as that party's signatory."""
    column = (Membership.commune_id == project.commune_id if party == "commune"
              else Membership.association_id == project.lead_association_id)
    return list(db.session.scalars(select(User).join(Membership).where(
        User.active, Membership.role == SIGNATORY_ROLES[party], column)
        .order_by(User.full_name)))


def current_signatory(project: Project, party: str) -> Any:
    """Who the convention names for `party` now."""
    return convention_facts(project)[f"{party}_signatory"]


def approved_signatory(project: Project, party: str) -> Any:
    """The signatory the latest approved amendment named for `party`, if any."""
    for amendment in db.session.scalars(select(Amendment).where(
            Amendment.project_id == project.id, Amendment.status == APPROVED)
            .order_by(Amendment.number.desc())):
        for row in amendment.changes.get("signatory", []):
            if row["party"] == party:
                user = db.session.get(User, row["user"][1])
                if user is not None and user.active:
                    return user
    return None


def signatory_changes(project: Project, proposal: Proposal) -> list[dict]:
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


def budget_changes(project: Project, proposal: Proposal) -> tuple[list[dict], bool]:
    """Every line with its amount and funder before and after; whether one changed
    (`amendments.budget`, with the lines added and removed)."""
    return _budget_changes(project, proposal, parse_decimal)


def activity_changes(project: Project, proposal: Proposal) -> list[dict]:
    rows = []
    for activity in project.activities:
        wanted = proposal.activities.get(activity.id) or {}
        title = str(wanted.get("title", activity.title) or "").strip()
        if not title:
            raise AmendmentError(_("An activity needs a title."), f"activity-{activity.id}-title")
        if len(title) > TEXT_MAX:
            raise AmendmentError(_("At most %(max)d characters.", max=TEXT_MAX),
                                 f"activity-{activity.id}-title")
        start = (parse_date(wanted["planned_start"], f"activity-{activity.id}-planned_start")
                 if "planned_start" in wanted else activity.planned_start)
        end = (parse_date(wanted["planned_end"], f"activity-{activity.id}-planned_end")
               if "planned_end" in wanted else activity.planned_end)
        if start and end and end < start:
            raise AmendmentError(_("The end date must not be before the start date."),
                                 f"activity-{activity.id}-planned_end")
        row = {"id": activity.id, "title": [activity.title, title],
               "planned_start": [iso(activity.planned_start), iso(start)],
               "planned_end": [iso(activity.planned_end), iso(end)]}
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
        start = parse_date(wanted.get("planned_start"), "new-activity-planned_start")
        end = parse_date(wanted.get("planned_end"), "new-activity-planned_end")
        period_end = parse_date(proposal.end_date, "end_date") or project.end_date
        try:
            check_activity_dates(start, end, project.start_date, period_end,
                                 prefix="new-activity-")
        except ProjectError as refused:
            raise AmendmentError(refused.message, refused.field) from None
        rows.append({"id": None, "new": True, "title": [None, title],
                     "planned_start": [None, iso(start)], "planned_end": [None, iso(end)]})
    return rows


def recheck_removals(project: Project, changes: dict) -> None:
    """When the last party approves, refuse again to remove an activity or an indicator on
    which execution recorded something since the proposal: deleting it would take the
    records with it."""
    for kind, model in (("activities", Activity), ("indicators", Indicator)):
        for row in changes.get(kind, []):
            item = db.session.get(model, row["id"]) if row.get("removed") else None
            if item is not None and item.project_id == project.id and _has_records(item):
                raise AmendmentError(_(
                    "Something was recorded on “%(name)s” since this amendment was proposed: "
                    "it can no longer be removed. Refuse this amendment and propose another.",
                    name=item.title if kind == "activities" else item.name))


def _has_records(item: Any) -> bool:
    """Whether execution recorded something on an activity or an indicator."""
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
    baseline = parse_decimal(wanted.get("baseline") or "0", "new-indicator-baseline")
    target = parse_decimal(wanted["target"], "new-indicator-target")
    return {"id": None, "new": True, "name": name, "unit": unit, "level": level,
            "baseline": money(baseline), "target": [None, money(target)]}


def indicator_changes(project: Project, proposal: Proposal) -> list[dict]:
    rows = []
    for indicator in project.indicators:
        wanted = proposal.indicators.get(indicator.id) or {}
        if indicator.id in proposal.removed_indicators:
            if _has_records(indicator):
                raise AmendmentError(_("Values were recorded for this indicator: it stays "
                                       "in the results; change its target instead."),
                                     f"indicator-{indicator.id}-remove")
            rows.append({"id": indicator.id, "removed": True, "name": indicator.name,
                         "unit": indicator.unit, "target": [money(indicator.target), None]})
            continue
        if wanted.get("target") in (None, ""):
            continue
        target = parse_decimal(wanted["target"], f"indicator-{indicator.id}-target")
        if money(indicator.target) != money(target):
            rows.append({"id": indicator.id, "name": indicator.name, "unit": indicator.unit,
                         "target": [money(indicator.target), money(target)]})
    added = _new_indicator(proposal)
    if added:
        rows.append(added)
    return rows


def officer_needed(budget: list[dict], share: int) -> bool:
    """A line moving by more than `share` percent of its amount, or to another funder. A
    line added (from 0.00) or removed (to 0.00) moves by all of it: the programme officer
    signs too, as the convention's budget changes shape."""
    for row in budget:
        if not row["changed"]:
            continue
        before, after = (Decimal(x) for x in row["amount"])
        if row["funder"][0] != row["funder"][1]:
            return True
        if abs(after - before) * 100 > before * share:
            return True
    return False


def lock_keys(changes: dict) -> list[str]:
    keys = [f"budget_line:{row['id']}" for row in changes.get("budget", [])
            if row["changed"] and row["id"]]  # an added line has nothing to hold yet
    if "end_date" in changes:
        keys.append("end_date")
    keys += [f"activity:{row['id']}" for row in changes.get("activities", []) if row["id"]]
    keys += [f"indicator:{row['id']}" for row in changes.get("indicators", []) if row["id"]]
    keys += [f"signatory:{row['party']}" for row in changes.get("signatory", [])]
    return keys
