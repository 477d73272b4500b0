"""Projects: creation, co-editing with an optimistic lock, budget, activities, indicators,
the searchable list, the discussion thread and the themes.

Every change is audited with its before and after values in the caller's transaction (services
flush; the request commits once). Workflow questions (may it still be edited? which state?)
are the workflow engine's: `tadafur.workflow.services`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from tadafur import access
from tadafur.accounts.models import User
from tadafur.audit.models import AuditEvent
from tadafur.audit.services import changes, record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Association, Commune, Province, Region
from tadafur.projects.budget import (  # moved; importable from here as before
    BudgetSummary as BudgetSummary,
    FunderShare as FunderShare,
    budget_summary as budget_summary,
)
from tadafur.projects.discussion import (  # moved; importable from here as before
    MENTION_LIMIT as MENTION_LIMIT,
    MESSAGE_MAX as MESSAGE_MAX,
    discussion_link as discussion_link,
    find_mentions as find_mentions,
    messages_of as messages_of,
    post_message as post_message,
    project_people as project_people,
)
from tadafur.projects.errors import (  # moved; importable from here as before
    OtherChange as OtherChange,
    ProjectConflict as ProjectConflict,
    ProjectError as ProjectError,
)
from tadafur.projects.labels import (  # moved; importable from here as before
    ACTIVITY_STATUSES as ACTIVITY_STATUSES,
    BUDGET_CATEGORIES as BUDGET_CATEGORIES,
    FIELD_LABELS as FIELD_LABELS,
    FUNDER_LABELS as FUNDER_LABELS,
    INDICATOR_LEVELS as INDICATOR_LEVELS,
    PROJECT_FIELDS as PROJECT_FIELDS,
    THEMES as THEMES,
)
from tadafur.projects.models import (
    Activity,
    BudgetLine,
    Funder,
    Indicator,
    Project,
    Theme,
)
from tadafur.projects.plan import check_activity_dates
from tadafur.projects.queries import (  # moved; importable from here as before
    DOCUMENTS_TEMPLATE as DOCUMENTS_TEMPLATE,
    ProjectFilter as ProjectFilter,
    all_themes as all_themes,
    association_choices as association_choices,
    audit_events_of as audit_events_of,
    conflict_names as conflict_names,
    creation_choices as creation_choices,
    describe as describe,
    documents_of as documents_of,
    documents_template as documents_template,
    field_kind as field_kind,
    filter_options as filter_options,
    filtered_statement as filtered_statement,
    gates_of as gates_of,
    load_for_page as load_for_page,
    missing_for_proposal as missing_for_proposal,
    overdue_clause as overdue_clause,
    overdue_ids as overdue_ids,
    phase_choices as phase_choices,
    project_or_404 as project_or_404,
    search_projects as search_projects,
    state_choices as state_choices,
    state_counts as state_counts,
    states_in_phase as states_in_phase,
)
from tadafur.projects.rowlock import (  # moved; importable from here as before
    lock as lock,
)
from tadafur.projects.themes import (  # moved; importable from here as before
    THEME_FIELDS as THEME_FIELDS,
    save_theme as save_theme,
    seed_themes as seed_themes,
)
from tadafur.workflow import services as workflow

# ---------------------------------------------------------------- creating and editing

def snapshot(project: Project) -> dict[str, Any]:
    """The editable values of a project, comparable and JSON-friendly, plus its version."""
    values = {name: getattr(project, name) for name in PROJECT_FIELDS
              if name not in ("partner_ids", "theme_ids")}
    values["partner_ids"] = sorted(a.id for a in project.partners)
    values["theme_ids"] = sorted(t.id for t in project.themes)
    values["version"] = project.version
    return values


def _region_code(commune_id: int) -> str:
    code = db.session.scalar(
        select(Region.code).join(Province, Province.region_id == Region.id)
        .join(Commune, Commune.province_id == Province.id).where(Commune.id == commune_id))
    if code is None:
        raise ProjectError(_("Choose a commune."), "commune_id")
    return code


def next_reference(commune_id: int, year: int | None = None) -> str:
    """TDF-<year>-<region code>-<sequence of 4 digits>, e.g. TDF-2026-CS-0012.

    The region's row is locked until the transaction ends (PostgreSQL), so creations in the
    same region take their numbers one after the other instead of colliding.
    """
    year = year or utcnow().year
    code = _region_code(commune_id)
    db.session.execute(select(Region.id).where(Region.code == code).with_for_update())
    prefix = f"TDF-{year}-{code}-"
    last = db.session.scalar(select(func.max(Project.reference))
                             .where(Project.reference.like(prefix + "%")))
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _check_values(actor: User, values: dict, project: Project | None = None) -> None:
    """Refusals that need the database, each tied to its form field."""
    commune_id = values.get("commune_id") or (project.commune_id if project else None)
    lead_id = values.get("lead_association_id")
    if not commune_id or db.session.get(Commune, commune_id) is None:
        raise ProjectError(_("Choose a commune."), "commune_id")
    lead = db.session.get(Association, lead_id) if lead_id else None
    if lead is None:
        raise ProjectError(_("Choose the lead association."), "lead_association_id")
    if lead_id in (values.get("partner_ids") or []):
        raise ProjectError(_("The lead association cannot also be a partner."), "partner_ids")
    partner_ids = values.get("partner_ids") or []
    if partner_ids and len(set(db.session.scalars(
            select(Association.id).where(Association.id.in_(partner_ids))))) != len(
            set(partner_ids)):
        raise ProjectError(_("Choose partner associations from the list."), "partner_ids")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise ProjectError(_("The end date must not be before the start date."), "end_date")
    if project is None:
        # A creator stands on one side of the project they create.
        stands = access.in_commune_scope(actor, commune_id) or access.in_association_scope(
            actor, {lead_id})
        if not stands:
            raise ProjectError(
                _("You can create projects only for your commune or your association."),
                "commune_id")


def _apply(project: Project, values: dict) -> None:
    for name in PROJECT_FIELDS:
        if name in ("partner_ids", "theme_ids") or name not in values:
            continue
        setattr(project, name, values[name])
    if "partner_ids" in values:
        ids = values["partner_ids"] or []
        project.partners = list(db.session.scalars(
            select(Association).where(Association.id.in_(ids)))) if ids else []
    if "theme_ids" in values:
        ids = values["theme_ids"] or []
        project.themes = list(db.session.scalars(
            select(Theme).where(Theme.id.in_(ids)))) if ids else []


def create_project(actor: User, values: dict) -> Project:
    """A new draft, numbered TDF-<year>-<region>-<seq>, started in its workflow; audited."""
    _check_values(actor, values)
    for attempt in range(5):
        project = Project(commune_id=values["commune_id"], created_by_id=actor.id,
                          reference=next_reference(values["commune_id"]), version=1,
                          content_version=1, state_entered_at=utcnow())
        _apply(project, {k: v for k, v in values.items() if k != "commune_id"})
        savepoint = db.session.begin_nested()
        try:
            db.session.add(project)
            workflow.start(project, actor)
            db.session.flush()
        except IntegrityError:
            # Two creations took the same number at the same moment: take the next one.
            savepoint.rollback()
            if attempt == 4:
                raise
            continue
        savepoint.commit()
        break
    after = snapshot(project)
    after.update(reference=project.reference, commune_id=project.commune_id,
                 state=project.state)
    record("project.created", obj=project, project=project, actor=actor,
           summary=project.reference, after=after)
    return project


def ensure_editable(project: Project) -> None:
    if not workflow.is_editable(project):
        raise ProjectError(_("This project can no longer be edited in its current state."))


LOCK_KEYS = {BudgetLine: "budget_line", Activity: "activity", Indicator: "indicator"}


# Callables(project, *keys) that raise a TadafurError to refuse an edit of what they hold:
# tadafur.amendments registers the lock of an open amendment (from its hooks module).
EDIT_VETOES: list[Callable[..., None]] = []


def ensure_not_amended(project: Project, *keys: str) -> None:
    """Refuse to change what an open amendment touches (`budget_line:<id>`, `activity:<id>`,
    `indicator:<id>`, `end_date`): the amendment decides it."""
    for veto in EDIT_VETOES:
        try:
            veto(project, *keys)
        except TadafurError as error:
            raise ProjectError(error.message, error.field) from None


def others_changes(project: Project, since_version: int) -> list[OtherChange]:
    """What was saved on the project after `since_version`, from the audit trail."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id,
                                 AuditEvent.action == "project.updated")
        .order_by(AuditEvent.seq.desc()).limit(50)).all()
    found: list[OtherChange] = []
    for event in reversed(events):
        after = json.loads(event.after or "{}")
        before = json.loads(event.before or "{}")
        if int(after.get("version", 0)) <= since_version:
            continue
        for key, value in after.items():
            if key == "version":
                continue
            found.append(OtherChange(event.actor_name or "", event.occurred_at, key,
                                     before.get(key), value))
    return found


def _comparable(values: dict) -> dict:
    return {key: sorted(value or []) if key in ("partner_ids", "theme_ids") else value
            for key, value in values.items()}


def update_project(actor: User, project: Project, values: dict, expected_version: int) -> None:
    """Save the edit form. Refused as a ProjectConflict when the project moved on since
    `expected_version`; otherwise audited with exactly the values that changed.

    The version is claimed with `UPDATE ... WHERE version = expected` before anything is
    written, so two saves based on the same version never both succeed, on any database.
    """
    project = lock(project)
    if project.version != expected_version:
        raise ProjectConflict(project, expected_version,
                              others_changes(project, expected_version))
    ensure_editable(project)
    before = snapshot(project)
    wanted = _comparable({k: v for k, v in values.items() if k in PROJECT_FIELDS})
    if "end_date" in wanted and wanted["end_date"] != before.get("end_date"):
        ensure_not_amended(project, "end_date")
    _check_values(actor, {**before, **wanted}, project)
    if all(before.get(key) == value for key, value in wanted.items()):
        return
    with db.session.no_autoflush:
        claimed = db.session.execute(
            update(Project).where(Project.id == project.id,
                                  Project.version == expected_version)
            .values(version=expected_version + 1)
            .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        project = lock(project)
        raise ProjectConflict(project, expected_version,
                              others_changes(project, expected_version))
    set_committed_value(project, "version", expected_version + 1)
    _apply(project, wanted)
    after = snapshot(project)
    old, new = changes(before, after)
    db.session.flush()
    record("project.updated", obj=project, project=project, actor=actor,
           summary=project.reference, before=old, after=new)
    workflow.content_changed(project, actor)


# ---------------------------------------------------------------- budget, activities, indicators

def _next_position(model: Any, project: Project) -> int:
    last = db.session.scalar(select(func.max(model.position)).where(
        model.project_id == project.id))
    return (last or 0) + 1


def _content_edit(actor: User, project: Project, action: str, obj: Any,
                  before: dict | None, after: dict | None) -> None:
    db.session.flush()
    record(action, obj=obj, project=project, actor=actor, summary=project.reference,
           before=before, after=after)
    workflow.content_changed(project, actor)


def _line_values(line: BudgetLine) -> dict:
    return {"category": line.category, "description": line.description,
            "amount": line.amount, "funder": line.funder, "in_kind": line.in_kind}


def add_budget_line(actor: User, project: Project, values: dict) -> BudgetLine:
    project = lock(project)
    ensure_editable(project)
    if values["funder"] not in set(Funder):
        raise ProjectError(_("Choose a funder from the list."), "funder")
    if values["amount"] is None or values["amount"] < 0:
        raise ProjectError(_("Enter an amount of zero or more."), "amount")
    line = BudgetLine(project=project, position=_next_position(BudgetLine, project),
                      category=values["category"], description=values["description"],
                      amount=Decimal(values["amount"]).quantize(Decimal("0.01")),
                      funder=values["funder"], in_kind=bool(values.get("in_kind")))
    db.session.add(line)
    _content_edit(actor, project, "budget_line.added", line, None, _line_values(line))
    return line


def _remove_child(actor: User, project: Project, model: Any, collection: str, child_id: int,
                  values_of: Any, action: str) -> None:
    """Remove a budget line, an activity or an indicator of an editable project, audited."""
    project = lock(project)
    ensure_editable(project)
    child = _child(model, project, child_id)
    ensure_not_amended(project, f"{LOCK_KEYS[model]}:{child.id}")
    values = values_of(child)
    db.session.delete(child)
    setattr(project, collection, [x for x in getattr(project, collection) if x.id != child_id])
    _content_edit(actor, project, action, child, values, None)


def remove_budget_line(actor: User, project: Project, line_id: int) -> None:
    _remove_child(actor, project, BudgetLine, "budget_lines", line_id, _line_values,
                  "budget_line.removed")


def _child(model: Any, project: Project, child_id: int) -> Any:
    child = db.session.get(model, child_id)
    if child is None or child.project_id != project.id:
        raise ProjectError(_("This line does not exist any more."))
    return child


def _activity_values(activity: Activity) -> dict:
    return {"title": activity.title, "planned_start": activity.planned_start,
            "planned_end": activity.planned_end}


def add_activity(actor: User, project: Project, values: dict) -> Activity:
    project = lock(project)
    ensure_editable(project)
    start, end = values.get("planned_start"), values.get("planned_end")
    # The period is not enforced while drafting (the demo and replicated drafts plan
    # before their dates settle); an amendment, on a signed project, passes it.
    check_activity_dates(start, end, None, None)
    activity = Activity(project=project, position=_next_position(Activity, project),
                        title=values["title"], planned_start=start, planned_end=end)
    db.session.add(activity)
    _content_edit(actor, project, "activity.added", activity, None, _activity_values(activity))
    return activity


def remove_activity(actor: User, project: Project, activity_id: int) -> None:
    _remove_child(actor, project, Activity, "activities", activity_id, _activity_values,
                  "activity.removed")


def may_track_activities(project: Project) -> bool:
    """During execution the parties record which activities are done or closed."""
    return workflow.phase_of(project) == "execution" and not workflow.is_final(project)


def set_activity_status(actor: User, project: Project, activity_id: int, status: str,
                        reason: str | None = None) -> Activity:
    """Mark an activity done, closed (with a reason) or planned again; audited."""
    project = lock(project)
    if not may_track_activities(project):
        raise ProjectError(_("Activities are followed up during the execution only."))
    if status not in ACTIVITY_STATUSES:
        raise ProjectError(_("Choose a status from the list."), "status")
    reason = (reason or "").strip() or None
    if status == "closed" and not reason:
        raise ProjectError(_("Say why the activity is closed."), "reason")
    activity = _child(Activity, project, activity_id)
    ensure_not_amended(project, f"activity:{activity.id}")
    before = {"status": activity.status, "closing_reason": activity.closing_reason}
    activity.status = status
    activity.closing_reason = reason if status == "closed" else None
    project.version += 1
    db.session.flush()
    old, new = changes(before, {"status": activity.status,
                                "closing_reason": activity.closing_reason})
    if new:
        record("activity.status_changed", obj=activity, project=project, actor=actor,
               summary=f"{project.reference}: {activity.title}", before=old, after=new)
    return activity


def _indicator_values(indicator: Indicator) -> dict:
    return {"level": indicator.level, "name": indicator.name, "unit": indicator.unit,
            "baseline": indicator.baseline, "target": indicator.target,
            "disaggregated": indicator.disaggregated, "counts_people": indicator.counts_people}


def add_indicator(actor: User, project: Project, values: dict) -> Indicator:
    project = lock(project)
    ensure_editable(project)
    if values["level"] not in INDICATOR_LEVELS:
        raise ProjectError(_("Choose a level from the list."), "level")
    indicator = Indicator(project=project, position=_next_position(Indicator, project),
                          level=values["level"], name=values["name"], unit=values["unit"],
                          baseline=values.get("baseline") or Decimal("0"),
                          target=values["target"],
                          disaggregated=bool(values.get("disaggregated")),
                          counts_people=bool(values.get("counts_people")))
    db.session.add(indicator)
    _content_edit(actor, project, "indicator.added", indicator, None,
                  _indicator_values(indicator))
    return indicator


def remove_indicator(actor: User, project: Project, indicator_id: int) -> None:
    _remove_child(actor, project, Indicator, "indicators", indicator_id, _indicator_values,
                  "indicator.removed")
