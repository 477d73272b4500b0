"""Programme dashboards and open data: what the ministry and the programme see across the
communes. Aggregates run in SQL (a handful of grouped queries, whatever the data size); the
workflow definition maps states to phases and gives each state's due days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, false, func, or_, select

from tadafur.audit.services import record
from tadafur.core.filters import optional_date, optional_id
from tadafur.execution.models import IndicatorValue, Tranche
from tadafur.extensions import db
from tadafur.i18n import localized
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune, Province, Region
from tadafur.projects.models import BudgetLine, Funder, Indicator, Project
from tadafur.workflow import services as workflow
from tadafur.workflow.models import TransitionRecord

COMMITTED_PHASES = ("execution", "follow_up", "evaluation")


@dataclass
class DashboardFilter:
    region_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> DashboardFilter:
        criteria = cls()
        criteria.region_id = optional_id(args, "region", criteria.errors)
        criteria.date_from = optional_date(args, "date_from", criteria.errors)
        criteria.date_to = optional_date(args, "date_to", criteria.errors)
        return criteria

    def as_args(self) -> dict[str, str]:
        values = {"region": self.region_id, "date_from": self.date_from,
                  "date_to": self.date_to}
        return {k: str(v) for k, v in values.items() if v}


def _scoped(statement, criteria: DashboardFilter):
    """Join what the filters need; `statement` selects from Project."""
    statement = statement.join(Commune, Commune.id == Project.commune_id) \
        .join(Province, Province.id == Commune.province_id)
    if criteria.region_id:
        statement = statement.where(Province.region_id == criteria.region_id)
    if criteria.date_from:
        statement = statement.where(Project.created_at >= dt.datetime.combine(
            criteria.date_from, dt.time.min))
    if criteria.date_to:
        statement = statement.where(Project.created_at < dt.datetime.combine(
            criteria.date_to + dt.timedelta(days=1), dt.time.min))
    return statement


def _definition():
    return workflow.registry().latest(workflow.default_name())


def _phase(state: str) -> str:
    found = _definition().states.get(state)
    return found.phase if found else state  # a state of an older version only


def phases() -> list[str]:
    return [name for name, _label, _states in _definition().phases]


@dataclass
class Dashboard:
    by_region: list[dict]
    by_commune: list[dict]
    phase_names: list[str]
    budget_by_funder: list[dict]
    beneficiaries: dict[str, int]
    overdue_by_commune: list[dict]
    median_days_by_phase: dict[str, float | None]
    total_projects: int
    reached: dict[str, int] = field(default_factory=dict)


def build(criteria: DashboardFilter) -> Dashboard:
    phase_names = phases()
    counts = db.session.execute(_scoped(
        select(Region.id, Region.name_ar, Region.name_fr, Region.name_en, Commune.id,
               Commune.name_ar, Commune.name_fr, Commune.name_en, Project.state,
               func.count(Project.id))
        .select_from(Project), criteria)
        .join(Region, Region.id == Province.region_id)
        .group_by(Region.id, Region.name_ar, Region.name_fr, Region.name_en, Commune.id,
                  Commune.name_ar, Commune.name_fr, Commune.name_en, Project.state)).all()
    regions: dict[int, dict] = {}
    communes: dict[int, dict] = {}
    for row in counts:
        region = regions.setdefault(row[0], _row(row[1:4], phase_names))
        commune = communes.setdefault(row[4], _row(row[5:8], phase_names))
        commune["region"] = region["names"]
        phase = _phase(row[8])
        for target in (region, commune):
            target["phases"][phase] = target["phases"].get(phase, 0) + row[9]
            target["states"][row[8]] = target["states"].get(row[8], 0) + row[9]
            target["total"] += row[9]
    return Dashboard(
        by_region=sorted(regions.values(), key=lambda r: r["names"][1]),
        by_commune=sorted(communes.values(), key=lambda r: (r["region"][1], r["names"][1])),
        phase_names=phase_names,
        budget_by_funder=_budget_by_funder(criteria),
        beneficiaries=_beneficiaries(criteria),
        overdue_by_commune=_overdue_by_commune(criteria),
        median_days_by_phase=_median_days_by_phase(criteria, phase_names),
        total_projects=sum(r["total"] for r in regions.values()),
        reached=_reached(criteria),
    )


def _row(names, phase_names) -> dict:
    return {"names": tuple(names), "phases": dict.fromkeys(phase_names, 0), "states": {},
            "total": 0}


def _states_in(phase_names: tuple[str, ...]) -> list[str]:
    return [name for name, state in _definition().states.items() if state.phase in phase_names]


def _budget_by_funder(criteria: DashboardFilter) -> list[dict]:
    """Planned budget of every project, the part committed by a signed convention, and what
    each funder disbursed (its paid tranches)."""
    committed_states = [*_states_in(COMMITTED_PHASES), "closed"]
    rows = db.session.execute(_scoped(
        select(BudgetLine.funder, func.sum(BudgetLine.amount),
               func.sum(func.coalesce(
                   db.case((Project.state.in_(committed_states), BudgetLine.amount),
                           else_=0), 0)))
        .select_from(Project).join(BudgetLine, BudgetLine.project_id == Project.id),
        criteria).group_by(BudgetLine.funder)).all()
    found = {funder: (Decimal(planned or 0), Decimal(committed or 0))
             for funder, planned, committed in rows}
    disbursed = dict(db.session.execute(_scoped(
        select(Tranche.funder, func.sum(Tranche.amount))
        .select_from(Project).join(Tranche, Tranche.project_id == Project.id)
        .where(Tranche.paid_on.is_not(None)), criteria).group_by(Tranche.funder)).all())
    return [{"funder": funder.value, "planned": found.get(funder.value, (Decimal(0),))[0],
             "committed": found.get(funder.value, (Decimal(0), Decimal(0)))[1],
             "disbursed": Decimal(disbursed.get(funder.value) or 0)}
            for funder in Funder]


def _reached(criteria: DashboardFilter) -> dict[str, int]:
    """People reached, by sex and youth, from the indicators that count people.

    A project marks an indicator "counts the people reached" and records, each period, the
    people reached for the first time in that period, by sex and age group (the execution
    tab's indicator values). So the sum over periods and projects counts each person once
    per project. `total` also counts values recorded without a breakdown, so it may exceed
    women + men.
    """
    row = db.session.execute(_scoped(
        select(*[func.coalesce(func.sum(getattr(IndicatorValue, cell)), 0)
                 for cell in ("women_youth", "women_adult", "men_youth", "men_adult", "total")])
        .select_from(Project).join(IndicatorValue, IndicatorValue.project_id == Project.id)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.counts_people), criteria)).one()
    women_youth, women_adult, men_youth, men_adult, total = (int(v) for v in row)
    return {"women": women_youth + women_adult, "men": men_youth + men_adult,
            "youth": women_youth + men_youth, "young_women": women_youth,
            "total": total}


def _beneficiaries(criteria: DashboardFilter) -> dict[str, int]:
    women, men, youth = db.session.execute(_scoped(
        select(func.coalesce(func.sum(Project.beneficiaries_women), 0),
               func.coalesce(func.sum(Project.beneficiaries_men), 0),
               func.coalesce(func.sum(Project.beneficiaries_youth), 0))
        .select_from(Project), criteria)).one()
    return {"women": int(women), "men": int(men), "youth": int(youth)}


def overdue_condition(now: dt.datetime | None = None):
    """SQL condition: the project has stayed in its state longer than the state's due days."""
    now = now or utcnow()
    definition = _definition()
    clauses = [and_(Project.state == name,
                    Project.state_entered_at < now - dt.timedelta(days=state.due_days))
               for name, state in definition.states.items()
               if state.due_days and not state.final]
    return or_(*clauses) if clauses else false()


def _overdue_by_commune(criteria: DashboardFilter) -> list[dict]:
    rows = db.session.execute(_scoped(
        select(Commune.id, Commune.name_ar, Commune.name_fr, Commune.name_en,
               func.count(Project.id)).select_from(Project), criteria)
        .where(overdue_condition())
        .group_by(Commune.id, Commune.name_ar, Commune.name_fr, Commune.name_en)
        .order_by(func.count(Project.id).desc())).all()
    return [{"names": tuple(row[1:4]), "overdue": row[4]} for row in rows]


def _median_days_by_phase(criteria: DashboardFilter, phase_names) -> dict[str, float | None]:
    """Median days a project spends in each phase it has left (from the history)."""
    project_ids = _scoped(select(Project.id).select_from(Project), criteria)
    rows = db.session.execute(
        select(TransitionRecord.project_id, TransitionRecord.to_state, TransitionRecord.at)
        .where(TransitionRecord.project_id.in_(project_ids))
        .order_by(TransitionRecord.project_id, TransitionRecord.seq)).all()
    durations: dict[str, list[float]] = defaultdict(list)
    current: dict[int, tuple[str, dt.datetime]] = {}
    for project_id, to_state, at in rows:
        phase = _phase(to_state)
        entered = current.get(project_id)
        if entered is None or entered[0] != phase:
            if entered is not None:
                durations[entered[0]].append((at - entered[1]).total_seconds() / 86400)
            current[project_id] = (phase, at)
    return {phase: (round(statistics.median(durations[phase]), 1) if durations[phase]
                    else None) for phase in phase_names}


# ---------------------------------------------------------------- open data

PUBLIC_FIELDS = ("reference", "title_ar", "title_fr", "region", "province", "commune",
                 "association", "themes", "budget_total_mad", "public_contribution_mad",
                 "state", "phase", "start_date", "end_date")


def published_projects(language: str) -> list[dict]:
    """Projects whose publication was approved: institutions' names only, no personal data."""
    projects = db.session.scalars(
        select(Project).where(Project.publication_approved)
        .options(db.joinedload(Project.commune).joinedload(Commune.province)
                 .joinedload(Province.region),
                 db.joinedload(Project.lead_association), db.selectinload(Project.themes),
                 db.selectinload(Project.budget_lines))
        .order_by(Project.reference)).unique().all()
    rows = []
    for project in projects:
        rows.append({
            "reference": project.reference, "title_ar": project.title_ar,
            "title_fr": project.title_fr,
            "region": localized(project.commune.province.region, language=language),
            "province": localized(project.commune.province, language=language),
            "commune": localized(project.commune, language=language),
            "association": localized(project.lead_association, language=language),
            "themes": [localized(theme, language=language) for theme in project.themes],
            "budget_total_mad": str(project.total()),
            "public_contribution_mad": str(project.public_contribution),
            "state": project.state, "phase": _phase(project.state),
            "start_date": project.start_date.isoformat() if project.start_date else None,
            "end_date": project.end_date.isoformat() if project.end_date else None,
        })
    return rows


def set_publication(project: Project, approved: bool) -> None:
    if project.publication_approved == approved:
        return
    before = project.publication_approved
    project.publication_approved = approved
    project.version += 1
    db.session.flush()
    record("project.publication_changed", obj=project, project=project,
           summary="publication approved" if approved else "publication withdrawn",
           before={"publication_approved": before}, after={"publication_approved": approved})
