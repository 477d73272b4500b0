"""Projects: creation, co-editing with an optimistic lock, budget, activities, indicators,
the searchable list, the discussion thread and the themes.

Every change is audited with its before and after values in the caller's transaction (services
flush; the request commits once). Workflow questions (may it still be edited? which state?)
are the workflow engine's: `tadafur.workflow.services`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from tadafur import access
from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Membership, Role, User
from tadafur.audit.models import AuditEvent
from tadafur.audit.services import changes, record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Association, Commune, Province, Region
from tadafur.projects.models import (
    Activity,
    BudgetLine,
    Funder,
    Indicator,
    Message,
    Project,
    Theme,
    project_partner,
    project_theme,
)
from tadafur.workflow import services as workflow

THEMES = [
    ("youth_participation", "مشاركة الشباب", "Participation des jeunes", "Youth participation"),
    ("women_participation", "مشاركة النساء", "Participation des femmes",
     "Women's participation"),
    ("dialogue_spaces", "فضاءات الحوار", "Espaces de dialogue", "Dialogue spaces"),
    ("digital_participation", "المشاركة الرقمية", "Participation numérique",
     "Digital participation"),
    ("environment", "البيئة", "Environnement", "Environment"),
    ("culture", "الثقافة", "Culture", "Culture"),
    ("social_inclusion", "الإدماج الاجتماعي", "Inclusion sociale", "Social inclusion"),
]

FUNDER_LABELS = {
    Funder.COMMUNE: _l("Commune"),
    Funder.ASSOCIATION: _l("Association"),
    Funder.PROGRAMME: _l("Programme grant"),
    Funder.OTHER: _l("Other"),
}
BUDGET_CATEGORIES = {
    "staff": _l("Staff"),
    "equipment": _l("Equipment"),
    "events": _l("Events and meetings"),
    "training": _l("Training"),
    "communication": _l("Communication"),
    "transport": _l("Transport"),
    "works": _l("Small works"),
    "other": _l("Other"),
}
INDICATOR_LEVELS = {"output": _l("Output"), "outcome": _l("Outcome")}

# The proposal's own fields (what the edit form changes), in display order.
PROJECT_FIELDS = (
    "title_ar", "title_fr", "summary", "objectives", "target_groups", "place",
    "start_date", "end_date", "beneficiaries_women", "beneficiaries_men",
    "beneficiaries_youth", "lead_association_id", "partner_ids", "theme_ids",
)
FIELD_LABELS = {
    "title_ar": _l("Title in Arabic"),
    "title_fr": _l("Title in French"),
    "summary": _l("Summary"),
    "objectives": _l("Objectives"),
    "target_groups": _l("Target groups"),
    "place": _l("Place"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "beneficiaries_women": _l("Women beneficiaries"),
    "beneficiaries_men": _l("Men beneficiaries"),
    "beneficiaries_youth": _l("Young beneficiaries (15 to 34)"),
    "lead_association_id": _l("Lead association"),
    "partner_ids": _l("Partner associations"),
    "theme_ids": _l("Themes"),
    "commune_id": _l("Commune"),
}
MENTION_LIMIT = 20
MESSAGE_MAX = 4000


class ProjectError(Exception):
    """A refusal with a translated message (and the form field it concerns, if any)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class OtherChange:
    """One change saved by someone else since the version a form was based on."""

    actor: str
    at: dt.datetime
    field: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


class ProjectConflict(Exception):
    """The project changed since the form was opened: nothing was saved.

    `changes` lists what the others changed (from the audit trail); `current_version` is what
    a new attempt must be based on.
    """

    def __init__(self, project: Project, expected_version: int, changes: list[OtherChange]):
        super().__init__(_("Someone else saved this project while you were editing it."))
        self.message = str(self)
        self.project = project
        self.expected_version = expected_version
        self.current_version = project.version
        self.changes = changes


# ---------------------------------------------------------------- themes

def seed_themes() -> int:
    """Add the programme's themes when missing (idempotent); return how many were added."""
    existing = set(db.session.scalars(select(Theme.code)))
    added = 0
    for code, name_ar, name_fr, name_en in THEMES:
        if code not in existing:
            db.session.add(Theme(code=code, name_ar=name_ar, name_fr=name_fr, name_en=name_en,
                                 active=True))
            added += 1
    db.session.flush()
    return added


def all_themes(active_only: bool = False) -> list[Theme]:
    statement = select(Theme).order_by(Theme.id)
    if active_only:
        statement = statement.where(Theme.active)
    return list(db.session.scalars(statement))


THEME_FIELDS = ("code", "name_ar", "name_fr", "name_en", "active")


def save_theme(theme: Theme | None, values: dict) -> Theme:
    """Create or correct a theme (administrators); audited with before and after."""
    code = values["code"]
    clash = db.session.scalar(select(Theme.id).where(Theme.code == code))
    if clash is not None and (theme is None or clash != theme.id):
        raise ProjectError(_("Another theme already has this code."), "code")
    before = {} if theme is None else {k: getattr(theme, k) for k in THEME_FIELDS}
    if theme is None:
        theme = Theme()
        db.session.add(theme)
    for key in THEME_FIELDS:
        setattr(theme, key, values[key])
    db.session.flush()
    old, new = changes(before, {k: getattr(theme, k) for k in THEME_FIELDS})
    if new:
        record("theme.created" if not before else "theme.updated", obj=theme,
               summary=theme.name_fr, before=old or None, after=new)
    return theme


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


def lock(project: Project) -> Project:
    """Re-read the project row under a lock (FOR UPDATE on PostgreSQL) for this transaction."""
    return db.session.execute(
        select(Project).where(Project.id == project.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def ensure_editable(project: Project) -> None:
    if not workflow.is_editable(project):
        raise ProjectError(_("This project can no longer be edited in its current state."))


LOCK_KEYS = {BudgetLine: "budget_line", Activity: "activity", Indicator: "indicator"}


def ensure_not_amended(project: Project, *keys: str) -> None:
    """Refuse to change what an open amendment touches (`budget_line:<id>`, `activity:<id>`,
    `indicator:<id>`, `end_date`): the amendment decides it."""
    try:
        from tadafur.amendments.services import AmendmentError, ensure_not_locked
    except ImportError:  # the amendments module is not installed
        return
    try:
        ensure_not_locked(project, *keys)
    except AmendmentError as error:
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
    if start and end and end < start:
        raise ProjectError(_("The end date must not be before the start date."), "planned_end")
    activity = Activity(project=project, position=_next_position(Activity, project),
                        title=values["title"], planned_start=start, planned_end=end)
    db.session.add(activity)
    _content_edit(actor, project, "activity.added", activity, None, _activity_values(activity))
    return activity


def remove_activity(actor: User, project: Project, activity_id: int) -> None:
    _remove_child(actor, project, Activity, "activities", activity_id, _activity_values,
                  "activity.removed")


ACTIVITY_STATUSES = {"planned": _l("Planned"), "done": _l("Done"), "closed": _l("Closed")}


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


# ---------------------------------------------------------------- the list

@dataclass
class ProjectFilter:
    text: str = ""
    region_id: int | None = None
    province_id: int | None = None
    commune_id: int | None = None
    association_id: int | None = None
    phase: str = ""
    state: str = ""
    theme_id: int | None = None
    overdue: bool = False

    def as_args(self) -> dict[str, Any]:
        """The query-string form (for links and the pushed URL); empty values left out."""
        args = {"q": self.text, "region": self.region_id, "province": self.province_id,
                "commune": self.commune_id, "association": self.association_id,
                "phase": self.phase, "state": self.state, "theme": self.theme_id,
                "overdue": "1" if self.overdue else None}
        return {k: v for k, v in args.items() if v not in (None, "")}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_statement(user: User, criteria: ProjectFilter) -> Any:
    """SELECT of the projects `user` may see that match `criteria` (no order, no limit)."""
    statement = access.visible_projects(select(Project), user)
    if criteria.text:
        pattern = f"%{_escape_like(criteria.text.lower())}%"
        statement = statement.where(or_(
            func.lower(Project.reference).like(pattern, escape="\\"),
            func.lower(Project.title_fr).like(pattern, escape="\\"),
            Project.title_ar.like(f"%{_escape_like(criteria.text)}%", escape="\\"),
        ))
    if criteria.commune_id:
        statement = statement.where(Project.commune_id == criteria.commune_id)
    if criteria.province_id or criteria.region_id:
        communes = select(Commune.id).join(Province, Commune.province_id == Province.id)
        if criteria.province_id:
            communes = communes.where(Province.id == criteria.province_id)
        if criteria.region_id:
            communes = communes.where(Province.region_id == criteria.region_id)
        statement = statement.where(Project.commune_id.in_(communes))
    if criteria.association_id:
        statement = statement.where(or_(
            Project.lead_association_id == criteria.association_id,
            Project.id.in_(select(project_partner.c.project_id).where(
                project_partner.c.association_id == criteria.association_id))))
    if criteria.theme_id:
        statement = statement.where(Project.id.in_(
            select(project_theme.c.project_id).where(
                project_theme.c.theme_id == criteria.theme_id)))
    if criteria.state:
        statement = statement.where(Project.state == criteria.state)
    if criteria.phase:
        statement = statement.where(Project.state.in_(states_in_phase(criteria.phase)))
    if criteria.overdue:
        statement = statement.where(overdue_clause())
    return statement


def search_projects(user: User, criteria: ProjectFilter, *, after_id: int | None = None,
                    limit: int = 25) -> list[Project]:
    """One page, newest first, by keyset (`after_id` = last id of the previous page)."""
    statement = filtered_statement(user, criteria)
    if after_id:
        statement = statement.where(Project.id < after_id)
    statement = (statement.options(
        joinedload(Project.commune).joinedload(Commune.province).joinedload(Province.region),
        joinedload(Project.lead_association))
        .order_by(Project.id.desc()).limit(limit))
    return list(db.session.scalars(statement).unique())


def filter_options() -> dict[str, list]:
    """The choices of the list's filters (reference data, the same for everyone)."""
    return {
        "regions": list(db.session.scalars(select(Region).where(Region.in_programme)
                                           .order_by(Region.name_fr))),
        "provinces": list(db.session.scalars(
            select(Province).join(Region).where(Region.in_programme)
            .order_by(Province.name_fr))),
        "communes": list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                            .order_by(Commune.name_fr))),
        "associations": list(db.session.scalars(select(Association)
                                                .order_by(Association.name_fr))),
        "themes": all_themes(), "phases": phase_choices(), "states": state_choices(),
    }


def association_choices(commune_ids: list[int] | None = None,
                        association_ids: list[int] | None = None) -> list[tuple[int, str]]:
    """Associations for a select: all, or those of the communes and the ones named."""
    statement = select(Association).order_by(Association.name_fr)
    if commune_ids is not None or association_ids is not None:
        statement = statement.where(or_(Association.commune_id.in_(commune_ids or []),
                                        Association.id.in_(association_ids or [])))
    return [(a.id, a.name) for a in db.session.scalars(statement)]


def creation_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(communes, lead associations) a user may create a project for: their own commune(s),
    or the commune of their association, which then leads."""
    commune_ids = [m.commune_id for m in user.memberships
                   if m.commune_id and Role(m.role) in COMMUNE_ROLES]
    association_ids = [m.association_id for m in user.memberships
                       if m.association_id and Role(m.role) in ASSOCIATION_ROLES]
    commune_ids += list(db.session.scalars(
        select(Association.commune_id).where(Association.id.in_(association_ids))))
    communes = [(c.id, c.name) for c in db.session.scalars(
        select(Commune).where(Commune.id.in_(commune_ids)).order_by(Commune.name_fr))]
    if association_ids:
        return communes, association_choices(association_ids=association_ids)
    return communes, association_choices(commune_ids=commune_ids)


def audit_events_of(project: Project, limit: int = 100) -> list[AuditEvent]:
    """The project's audit trail, newest first (what its History tab shows)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.project_id == project.id)
        .order_by(AuditEvent.seq.desc()).limit(limit)))


def state_counts(user: User) -> list[tuple[str, int]]:
    """How many projects are in each state, among those `user` may see."""
    statement = access.visible_projects(
        select(Project.state, func.count(Project.id)), user).group_by(Project.state)
    return sorted(db.session.execute(statement).all(), key=lambda row: (-row[1], row[0]))


def project_or_404(project_id: int) -> Project:
    """The project named by a URL, or 404: the loader of `access.requires` on project routes
    of every module (the project page itself uses `load_for_page`, with what it shows)."""
    return db.get_or_404(Project, project_id)


def load_for_page(project_id: int) -> Project | None:
    """A project with what its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Project).where(Project.id == project_id).options(
            joinedload(Project.commune).joinedload(Commune.province).joinedload(Province.region),
            joinedload(Project.lead_association),
            selectinload(Project.partners), selectinload(Project.themes),
            selectinload(Project.budget_lines)))


# ---------------------------------------------------------------- discussion

def project_people(project: Project) -> list[User]:
    """Everyone who stands on a side of the project: who may be mentioned."""
    association_ids = list(project.association_ids)
    members = select(Membership.user_id).where(or_(
        (Membership.commune_id == project.commune_id)
        & Membership.role.in_([r.value for r in COMMUNE_ROLES]),
        Membership.association_id.in_(association_ids)
        & Membership.role.in_([r.value for r in ASSOCIATION_ROLES]),
        Membership.role == Role.PROGRAMME_OFFICER.value,
    ))
    return list(db.session.scalars(
        select(User).where(User.id.in_(members), User.active).order_by(User.full_name)))


def find_mentions(body: str, people: list[User]) -> list[User]:
    """Users named as @e-mail or @Full Name in `body` (case-insensitive, longest first)."""
    lowered = body.lower()
    found: list[User] = []
    for person in people:
        for token in (person.email, person.full_name):
            if not token:
                continue
            pattern = r"(?<![\w@])@" + re.escape(token.lower()) + r"(?![\w@])"
            if re.search(pattern, lowered):
                found.append(person)
                break
    return found[:MENTION_LIMIT]


def post_message(actor: User, project: Project, body: str) -> Message:
    """Add a message to the thread; people @mentioned are notified. Audited."""
    body = (body or "").strip()
    if not body:
        raise ProjectError(_("Write a message first."), "body")
    if len(body) > MESSAGE_MAX:
        raise ProjectError(_("At most %(max)d characters.", max=MESSAGE_MAX), "body")
    message = Message(project_id=project.id, author_id=actor.id, body=body,
                      created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    mentioned = [u for u in find_mentions(body, project_people(project)) if u.id != actor.id]
    record("message.posted", obj=message, project=project, actor=actor,
           summary=project.reference,
           after={"length": len(body), "mentioned": [u.id for u in mentioned]})
    if mentioned:
        _notify_mentions(actor, project, mentioned)
    return message


def _notify_mentions(actor: User, project: Project, users: list[User]) -> None:
    from tadafur.notifications.services import notify

    reference = project.reference

    def message(_language: str) -> str:
        return _("%(name)s mentioned you in the discussion of %(reference)s.",
                 name=actor.full_name, reference=reference)

    notify(users, "mentioned", project, message, link=discussion_link(project))


def discussion_link(project: Project) -> str | None:
    """The thread's address for the notification and its e-mail (None outside a request
    when no SERVER_NAME is configured, e.g. the demo seeding on the command line)."""
    from tadafur.core.urls import public_url

    return public_url("projects.show", project_id=project.id, tab="discussion")


def messages_of(project: Project, limit: int = 200) -> list[Message]:
    rows = db.session.scalars(
        select(Message).where(Message.project_id == project.id)
        .options(joinedload(Message.author)).order_by(Message.id.desc()).limit(limit)).all()
    return list(reversed(rows))


# ---------------------------------------------------------------- what the workflow says

def _definitions() -> list[Any]:
    return list(workflow.registry().definitions.values())


def _current_definition() -> Any:
    return workflow.registry().latest(workflow.default_name())


def phase_choices() -> list[tuple[str, str]]:
    from tadafur.workflow.labels import translate

    return [(name, translate(label)) for name, label, _states in _current_definition().phases]


def state_choices() -> list[tuple[str, str]]:
    from tadafur.workflow.labels import translate

    return [(state.name, translate(state.label))
            for state in _current_definition().states.values()]


def states_in_phase(phase: str) -> list[str]:
    """Every state of that phase, in any installed workflow version."""
    return sorted({state.name for definition in _definitions()
                   for state in definition.states.values() if state.phase == phase})


def overdue_clause(now: dt.datetime | None = None) -> Any:
    """SQL condition: the project stayed in its state longer than that state allows."""
    from sqlalchemy import and_, false

    now = now or utcnow()
    conditions = [
        and_(Project.workflow_name == definition.name,
             Project.workflow_version == definition.version,
             Project.state == state.name,
             Project.state_entered_at < now - dt.timedelta(days=state.due_days))
        for definition in _definitions() for state in definition.states.values()
        if state.due_days and not state.final
    ]
    return or_(*conditions) if conditions else false()


def overdue_ids(projects: list[Project]) -> set[int]:
    return {p.id for p in projects if workflow.is_overdue(p)}


def gates_of(project: Project) -> dict[str, str]:
    from tadafur.workflow.labels import translate

    return {name: translate(gate.label)
            for name, gate in workflow.definition_of(project).gates.items()}


def missing_for_proposal(project: Project) -> list[str]:
    from tadafur.workflow.guards import missing_for_proposal as missing

    return missing(project)


def field_kind(project: Project, trigger: str, name: str) -> str:
    """How an action's extra field is asked: date, integer, score, text or decision."""
    if name == "decision":
        return "decision"
    return workflow.field_types(project, trigger).get(name, "text")


# ---------------------------------------------------------------- documents

DOCUMENTS_TEMPLATE = "documents/_project_documents.html"


def documents_template() -> str | None:
    """The documents module's tab fragment, when that module is installed."""
    from flask import current_app
    from jinja2 import TemplateNotFound

    try:
        current_app.jinja_env.get_template(DOCUMENTS_TEMPLATE)
    except TemplateNotFound:
        return None
    return DOCUMENTS_TEMPLATE


def documents_of(project: Project) -> list[Any]:
    try:
        from tadafur.documents import services as documents
    except ImportError:
        return []
    return list(documents.documents_of(project))


# ---------------------------------------------------------------- showing values

def describe(field_name: str, value: Any) -> str:
    """A stored value (from the audit trail) as a person reads it."""
    from tadafur.i18n import format_day

    if value in (None, "", []):
        return "—"
    if field_name == "lead_association_id":
        association = db.session.get(Association, int(value))
        return association.name if association else str(value)
    if field_name == "partner_ids":
        names = db.session.scalars(select(Association).where(Association.id.in_(value)))
        return ", ".join(a.name for a in names)
    if field_name == "theme_ids":
        names = db.session.scalars(select(Theme).where(Theme.id.in_(value)))
        return ", ".join(t.name for t in names)
    if field_name in ("start_date", "end_date") and isinstance(value, str):
        try:
            return format_day(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
