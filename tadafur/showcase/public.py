"""What the public showcase shows: published projects only (the programme officer's
approval, the same as the open data), by region and commune, and each project's page.

Nothing here reads a person: no user, no signatory, no association contact, no discussion.
The pages are built from projects, communes, associations' names, themes, budget lines,
activities, indicators and their values, the evaluation's scores, the lessons index and
the photos whose publication was consented.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tadafur.audit.models import AuditEvent
from tadafur.core.filters import optional_id
from tadafur.execution.models import IndicatorValue
from tadafur.execution.services import indicator_results
from tadafur.extensions import db
from tadafur.organisations.models import Commune, Province, Region
from tadafur.projects.models import Project, Theme, project_theme
from tadafur.projects.services import budget_summary
from tadafur.reporting.models import EvaluationEntry, FinalReport
from tadafur.reporting.services import consolidated
from tadafur.showcase.lessons import lessons_of
from tadafur.showcase.models import Lesson, PublicPhoto, Replication
from tadafur.workflow import services as workflow
from tadafur.workflow.models import TransitionRecord

EPOCH = dt.datetime(2026, 1, 1)


def phases() -> list[str]:
    definition = workflow.registry().latest(workflow.default_name())
    return [name for name, _label, _states in definition.phases]


def states_in_phase(phase: str) -> list[str]:
    definition = workflow.registry().latest(workflow.default_name())
    states = [name for name, state in definition.states.items() if state.phase == phase]
    return states


def phase_of(state: str) -> str:
    definition = workflow.registry().latest(workflow.default_name())
    found = definition.states.get(state)
    return found.phase if found else state


@dataclass
class ShowcaseFilter:
    theme_id: int | None = None
    region_id: int | None = None
    phase: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> ShowcaseFilter:
        criteria = cls()
        page = args.get("page") or "1"
        criteria.page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
        criteria.theme_id = optional_id(args, "theme", criteria.errors)
        criteria.region_id = optional_id(args, "region", criteria.errors)
        phase = args.get("phase") or ""
        if phase and phase not in phases():
            criteria.errors.append("phase")
        else:
            criteria.phase = phase
        return criteria

    def as_args(self, **overrides: Any) -> dict[str, str]:
        values = {"theme": self.theme_id, "region": self.region_id, "phase": self.phase,
                  "page": self.page, **overrides}
        return {k: str(v) for k, v in values.items()
                if v not in (None, "") and not (k == "page" and v == 1)}


def published():
    """SELECT of the published projects (the one condition every public query starts from)."""
    return select(Project).where(Project.publication_approved.is_(True))


def fingerprint() -> dt.datetime:
    """When anything a public page shows last changed: one statement of indexed maxima.

    Public pages put it (to the microsecond) in their ETag and (to the second) in
    Last-Modified, so a revalidation answers 304 without building the page."""
    parts = [
        # Every project, not only the published ones: a withdrawn publication must change it.
        select(func.max(Project.updated_at)),
        select(func.max(Commune.updated_at)),
        select(func.max(IndicatorValue.created_at)),
        select(func.max(Lesson.updated_at)),
        select(func.max(PublicPhoto.created_at)),
        select(func.max(Replication.created_at)),
        select(func.max(EvaluationEntry.updated_at)),
        select(func.max(FinalReport.updated_at)),
    ]
    row = db.session.execute(select(*[part.scalar_subquery() for part in parts])).one()
    return max((value for value in row if value is not None), default=EPOCH)


def etag(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


# ---------------------------------------------------------------- lists

PAGE_SIZE = 48


def list_projects(criteria: ShowcaseFilter, commune_id: int | None = None
                  ) -> tuple[list[Project], int]:
    """One page of the published projects matching the filters (by region, commune and
    reference), with what the list shows loaded, and how many match: three statements
    whatever their number."""
    # The page's ids first, from narrow rows with the total as a window (one statement),
    # then those projects with what the list shows: sorting whole rows cost 3x more.
    statement = (select(Project.id, func.count().over())
                 .where(Project.publication_approved.is_(True))
                 .join(Commune, Commune.id == Project.commune_id)
                 .join(Province, Province.id == Commune.province_id))
    if commune_id:
        statement = statement.where(Project.commune_id == commune_id)
    if criteria.region_id:
        statement = statement.where(Province.region_id == criteria.region_id)
    if criteria.theme_id:
        statement = statement.where(Project.id.in_(
            select(project_theme.c.project_id)
            .where(project_theme.c.theme_id == criteria.theme_id)))
    if criteria.phase:
        statement = statement.where(Project.state.in_(states_in_phase(criteria.phase)))
    rows = db.session.execute(
        statement.order_by(Province.region_id, Commune.id, Project.reference)
        .limit(PAGE_SIZE).offset((criteria.page - 1) * PAGE_SIZE)).all()
    if not rows:
        total = 0 if criteria.page == 1 else db.session.scalar(
            select(func.count()).select_from(statement.subquery()))
        return [], total or 0
    order = {project_id: index for index, (project_id, _total) in enumerate(rows)}
    projects = db.session.scalars(
        select(Project).where(Project.id.in_(order))
        .options(joinedload(Project.commune).joinedload(Commune.province)
                 .joinedload(Province.region),
                 joinedload(Project.lead_association), selectinload(Project.themes))).unique()
    return sorted(projects, key=lambda p: order[p.id]), rows[0][1]


def grouped(projects: list[Project]) -> list[dict]:
    """[{region, communes: [{commune, projects}]}] in the reader's alphabetical order."""
    regions: dict[int, dict] = {}
    for project in projects:
        commune = project.commune
        region = regions.setdefault(commune.province.region_id,
                                    {"region": commune.province.region, "communes": {}})
        region["communes"].setdefault(commune.id, {"commune": commune, "projects": []})[
            "projects"].append(project)
    result = []
    for region in sorted(regions.values(), key=lambda r: r["region"].name):
        communes = sorted(region["communes"].values(), key=lambda c: c["commune"].name)
        result.append({"region": region["region"], "communes": communes})
    return result


def filter_choices() -> dict[str, list]:
    themes = [(t.id, t.name) for t in db.session.scalars(
        select(Theme).where(Theme.active.is_(True)).order_by(Theme.code))]
    regions = [(r.id, r.name) for r in db.session.scalars(
        select(Region).where(Region.in_programme.is_(True)).order_by(Region.code))]
    return {"themes": themes, "regions": regions, "phases": phases()}


def communes_by_region() -> list[dict]:
    """[{region, communes: [(commune, published projects)]}]: the communes with at least one
    published project, by region, in the reader's alphabetical order. One statement."""
    rows = db.session.execute(
        select(Commune, Region, func.count(Project.id))
        .join(Project, Project.commune_id == Commune.id)
        .join(Province, Province.id == Commune.province_id)
        .join(Region, Region.id == Province.region_id)
        .where(Project.publication_approved.is_(True))
        .group_by(Commune.id, Region.id)).all()
    regions: dict[int, dict] = {}
    for commune, region, count in rows:
        regions.setdefault(region.id, {"region": region, "communes": []})["communes"].append(
            (commune, count))
    for entry in regions.values():
        entry["communes"].sort(key=lambda pair: pair[0].name)
    return sorted(regions.values(), key=lambda entry: entry["region"].name)


# ---------------------------------------------------------------- one project

def is_published(project_id: int) -> bool:
    return bool(db.session.scalar(select(Project.publication_approved)
                                  .where(Project.id == project_id)))


def published_or_none(project_id: int) -> Project | None:
    return db.session.scalar(
        published().where(Project.id == project_id)
        .options(joinedload(Project.commune).joinedload(Commune.province)
                 .joinedload(Province.region),
                 joinedload(Project.lead_association), selectinload(Project.partners),
                 selectinload(Project.themes), selectinload(Project.budget_lines),
                 selectinload(Project.activities), selectinload(Project.indicators)))


def replicated_in(project: Project) -> int:
    """In how many communes (other than its own) the project was started again."""
    return db.session.scalar(
        select(func.count(func.distinct(Project.commune_id)))
        .join(Replication, Replication.project_id == Project.id)
        .where(Replication.source_project_id == project.id,
               Project.commune_id != project.commune_id)) or 0


def source_of(project: Project) -> Project | None:
    """The published project this one was started from (None when unpublished)."""
    return db.session.scalar(
        published().join(Replication, Replication.source_project_id == Project.id)
        .where(Replication.project_id == project.id))


def closed_on(project: Project) -> dt.datetime | None:
    return db.session.scalar(
        select(func.max(TransitionRecord.at)).where(TransitionRecord.project_id == project.id,
                                                    TransitionRecord.to_state == "closed"))


def photos_of(project: Project) -> list[PublicPhoto]:
    return list(db.session.scalars(
        select(PublicPhoto).where(PublicPhoto.project_id == project.id,
                                  PublicPhoto.consent_confirmed.is_(True))
        .order_by(PublicPhoto.id)))


def project_page(project: Project) -> dict:
    """Everything the public page (and the sheet) of one project shows; `indicators` are
    the execution module's results against targets (the page draws their charts)."""

    results = indicator_results(project)
    closed = project.state == "closed"
    page = {"project": project, "phase": phase_of(project.state),
            "budget": budget_summary(project),
            "indicators": results,
            "photos": photos_of(project), "replicated_in": replicated_in(project),
            "source": source_of(project), "closed": closed, "scores": None, "lessons": [],
            "recommendations": []}
    if closed:
        parties, rows = consolidated(project)
        page["scores"] = {"parties": parties, "rows": rows}
        lessons = lessons_of(project)
        page["lessons"] = [lesson for lesson in lessons if lesson.kind == "lesson"]
        page["recommendations"] = [lesson for lesson in lessons
                                   if lesson.kind == "recommendation"]
    return page


def commune_or_none(commune_id: int) -> Commune | None:
    return db.session.scalar(
        select(Commune).where(Commune.id == commune_id, Commune.is_partner.is_(True))
        .options(joinedload(Commune.province).joinedload(Province.region)))


# ---------------------------------------------------------------- the feed

def feed_entries(limit: int = 50) -> list[dict]:
    """Newly published and newly closed projects, newest first.

    Published: the audit trail's last approval of publication; closed: the transition into
    `closed`. Two grouped statements over indexed columns."""

    published_ids = select(Project.id).where(Project.publication_approved.is_(True))
    approvals = dict(db.session.execute(
        select(AuditEvent.project_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.action == "project.publication_changed",
               AuditEvent.project_id.in_(published_ids))
        .group_by(AuditEvent.project_id)).all())
    closings = dict(db.session.execute(
        select(TransitionRecord.project_id, func.max(TransitionRecord.at))
        .where(TransitionRecord.to_state == "closed",
               TransitionRecord.project_id.in_(published_ids))
        .group_by(TransitionRecord.project_id)).all())
    events = [(at, "published", pid) for pid, at in approvals.items()]
    events += [(at, "closed", pid) for pid, at in closings.items()]
    events = sorted(events, reverse=True)[:limit]
    projects = {p.id: p for p in db.session.scalars(
        published().where(Project.id.in_({pid for _at, _kind, pid in events}))
        .options(joinedload(Project.commune)))}
    return [{"at": at, "kind": kind, "project": projects[pid]}
            for at, kind, pid in events if pid in projects]
