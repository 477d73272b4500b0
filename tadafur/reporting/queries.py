"""What the reports say and who may write them, without changing anything: the workflow
file's reporting rules, whether a report may be written now, the reports, validations and
evaluation of a project, what is still missing, and the figures taken from the execution.
Below the reporting services (which re-export these names) and the report PDFs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import abort
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tadafur.access import acts_for, is_read_only, visible_projects
from tadafur.audit.services import canonical_json
from tadafur.errors import TadafurError
from tadafur.execution.services import (
    budget_statement,
    financial_closure,
    indicator_results,
)
from tadafur.extensions import db
from tadafur.i18n import format_amount
from tadafur.projects.labels import FUNDER_LABELS
from tadafur.projects.models import Project
from tadafur.reporting.models import (
    CRITERIA,
    Evaluation,
    EvaluationEntry,
    FinalReport,
    MonitoringReport,
    ReportValidation,
)
from tadafur.workflow import services as workflow
from tadafur.workflow.labels import party_label
from tadafur.workflow.schema import ReportRules, Signer

MAX_TEXT = 10000


SCORES = (1, 2, 3, 4)


CRITERION_LABELS = {
    "relevance": _l("Relevance"), "coherence": _l("Coherence"),
    "effectiveness": _l("Effectiveness"), "efficiency": _l("Efficiency"),
    "impact": _l("Impact"), "sustainability": _l("Sustainability"),
}


# The six OECD-DAC evaluation criteria, one sentence each, said for a co-creation project.
CRITERION_HELP = {
    "relevance": _l("Does the project answer the needs of the commune's inhabitants, its "
                    "young people and women, and the partners' priorities?"),
    "coherence": _l("Does it fit with the commune's action plan and the other programmes "
                    "and actions in the territory, without duplicating them?"),
    "effectiveness": _l("Did it reach its objectives and planned results, including for "
                        "women and young people?"),
    "efficiency": _l("Were the money, time and people used well, and the results delivered "
                     "on time and within budget?"),
    "impact": _l("What lasting difference, intended or not, does it make for the "
                 "inhabitants and for the dialogue between the commune and civil society?"),
    "sustainability": _l("Will the benefits continue after the project ends, and who will "
                         "carry them on with which means?"),
}
SCORE_LABELS = {1: _l("1 – unsatisfactory"), 2: _l("2 – partly satisfactory"),
                3: _l("3 – satisfactory"), 4: _l("4 – very satisfactory")}


STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Awaiting validation"),
                 "validated": _l("Validated")}


class ReportError(TadafurError):
    """A refusal with a translated message (and the form field it concerns, if any), and
    the HTTP status the view answers with (409 when the project's state forbids it)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message, field)
        self.status = status


def refuse(message: str) -> ReportError:
    """A refusal about the state of things (409), not about what was typed."""
    return ReportError(message, status=409)


def rules(project: Project) -> ReportRules:
    return workflow.definition_of(project).reports


def _parties(user: Any, project: Project, signers: tuple[Signer, ...]) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False) or is_read_only(user):
        return []
    return [s.party for s in signers if acts_for(user, project, s.party, s.roles)]


def is_monitoring_author(user: Any, project: Project) -> bool:
    return bool(_parties(user, project, rules(project).monitoring_authors))


def validator_parties(user: Any, project: Project) -> list[str]:
    return _parties(user, project, rules(project).monitoring_validators)


def is_final_author(user: Any, project: Project) -> bool:
    return bool(_parties(user, project, rules(project).final_authors))


def scorer_parties(user: Any, project: Project) -> list[str]:
    return _parties(user, project, rules(project).evaluation_scorers)


def monitoring_open(project: Project) -> bool:
    """Reports are written and validated while in execution (and while suspended: the
    period before the suspension is still reported)."""
    return project.state in rules(project).monitoring_states


def final_report_open(project: Project) -> bool:
    return project.state == rules(project).final_state


def evaluation_open(project: Project) -> bool:
    return project.state == rules(project).evaluation_state


def reports_of(project: Project) -> list[MonitoringReport]:
    """The project's monitoring reports, oldest period first, validations loaded."""
    return list(db.session.scalars(
        select(MonitoringReport).where(MonitoringReport.project_id == project.id)
        .options(selectinload(MonitoringReport.validations))
        .order_by(MonitoringReport.period_start, MonitoringReport.id)))


def report_or_404(project: Project, report_id: int) -> MonitoringReport:
    report = db.session.get(MonitoringReport, report_id)
    if report is None or report.project_id != project.id:
        abort(404)
    return report


def current_validations(report: MonitoringReport) -> dict[str, ReportValidation]:
    """The approvals of the current submission, by party."""
    return {v.party: v for v in report.validations
            if v.round == report.round and v.decision == "approve"}


def missing_validators(report: MonitoringReport) -> list[str]:
    done = current_validations(report)
    return [s.party for s in rules(report.project).monitoring_validators if s.party not in done]


def open_validation_parties(user: Any, report: MonitoringReport) -> list[str]:
    """The parties `user` may still validate the submitted report for."""
    if report.status != "submitted" or not monitoring_open(report.project):
        return []
    done = current_validations(report)
    return [p for p in validator_parties(user, report.project) if p not in done]


def awaiting_validation(user: Any) -> list[MonitoringReport]:
    """Submitted reports of projects `user` sees that wait for their validation (My tasks).
    Three queries whatever the number of reports."""
    if user is None or is_read_only(user):
        return []
    statement = visible_projects(
        select(MonitoringReport).join(Project, Project.id == MonitoringReport.project_id)
        .where(MonitoringReport.status == "submitted"), user) \
        .options(selectinload(MonitoringReport.validations),
                 selectinload(MonitoringReport.project).selectinload(Project.partners))
    return [r for r in db.session.scalars(statement.order_by(MonitoringReport.submitted_at))
            if open_validation_parties(user, r)]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def indicator_rows(project: Project, period_start: dt.date | None = None,
                   period_end: dt.date | None = None) -> list[dict]:
    """The indicator table: each indicator against baseline and target, the value of the
    period, what is achieved up to its end, disaggregated (women, youth) when recorded."""
    rows = []
    for result in indicator_results(project, period_end):
        in_period = [p for p in result.periods
                     if period_start is None or p.period_end >= period_start]
        period_value = sum((p.value.total for p in in_period), Decimal("0")) \
            if in_period else None
        breakdown = result.achieved_breakdown
        rows.append({
            "name": result.name, "unit": result.unit, "level": result.level,
            "baseline": _text(result.baseline), "target": _text(result.target),
            "period": _text(period_value), "achieved": _text(result.achieved),
            "percent": _text(result.percent_of_target),
            "women": _text(breakdown.women if breakdown else None),
            "youth": _text(breakdown.youth if breakdown else None),
        })
    return rows


def financial_statement(project: Project) -> dict:
    """Budget against actual by line and by funder (from the execution module), as text;
    categories and funders as codes, labelled in the document's language when printed."""
    statement = budget_statement(project)
    return {
        "lines": [{"category": line.category, "description": line.description,
                   "funder": line.funder, "planned": str(line.planned),
                   "spent": str(line.spent), "remaining": str(line.remaining),
                   "percent": str(line.percent_spent)} for line in statement.lines],
        "funders": [{"funder": f.funder, "planned": str(f.planned),
                     "disbursed": str(f.disbursed), "spent": str(f.spent),
                     "remaining": str(f.remaining), "percent": str(f.percent_spent)}
                    for f in statement.funders],
        "total": {"planned": str(statement.planned), "disbursed": str(statement.disbursed),
                  "spent": str(statement.spent), "remaining": str(statement.remaining),
                  "percent": str(statement.percent_spent)},
        "closure": [{"funder": r.funder, "budgeted": str(r.budgeted),
                     "disbursed": str(r.disbursed), "spent": str(r.spent),
                     "remaining": str(r.remaining), "undisbursed": str(r.undisbursed),
                     "overspent": str(r.overspent)}
                    for r in financial_closure(project, statement)],
    }


def funder_label(code: str) -> str:
    return next((str(label) for key, label in FUNDER_LABELS.items() if key == code), code)


FINAL_FIELDS = ("narrative", "lessons", "committee_date", "committee_attendees",
                "committee_decisions", "financial_justification")


def final_report_of(project: Project) -> FinalReport | None:
    return db.session.scalar(select(FinalReport).where(FinalReport.project_id == project.id))


def final_report_missing(project: Project) -> list[str]:
    """What the final report still lacks before it is submitted (translated)."""
    report = final_report_of(project)
    labels = {"narrative": _("the technical narrative"), "lessons": _("the lessons learned"),
              "committee_date": _("the date of the joint monitoring committee"),
              "committee_attendees": _("the committee's attendees"),
              "committee_decisions": _("the committee's decisions")}
    gaps = closure_gaps(project)
    if gaps:
        labels["financial_justification"] = _(
            "a justification of the financial closure (%(gaps)s)", gaps="; ".join(gaps))
    if report is None:
        return list(labels.values())
    return [label for name, label in labels.items()
            if not (getattr(report, name) if name == "committee_date"
                    else (getattr(report, name) or "").strip())]


def closure_gaps(project: Project) -> list[str]:
    """What needs a justification before closing: per funder, money not disbursed and
    spending above what was disbursed (translated, with both figures)."""
    gaps = []
    for row in financial_closure(project):
        if row.undisbursed > 0:
            gaps.append(_("%(funder)s: %(amount)s not disbursed of %(budget)s",
                          funder=row.label, amount=format_amount(row.undisbursed),
                          budget=format_amount(row.budgeted)))
        if row.overspent > 0:
            gaps.append(_("%(funder)s: %(spent)s spent for %(disbursed)s disbursed",
                          funder=row.label, spent=format_amount(row.spent),
                          disbursed=format_amount(row.disbursed)))
    return gaps


def entries_of(project: Project) -> dict[str, EvaluationEntry]:
    """{party: entry} with their scores: two queries."""
    return {e.party: e for e in db.session.scalars(
        select(EvaluationEntry).where(EvaluationEntry.project_id == project.id))}


def evaluation_of(project: Project) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.project_id == project.id))


def evaluation_missing(project: Project) -> list[str]:
    """The parties whose complete scores are still missing (translated names)."""
    entries = entries_of(project)
    missing = []
    for signer in rules(project).evaluation_scorers:
        entry = entries.get(signer.party)
        if entry is None or {s.criterion for s in entry.scores} != set(CRITERIA):
            missing.append(party_label(signer.party))
    return missing


@dataclass(frozen=True)
class ConsolidatedRow:
    criterion: str
    label: str
    scores: dict[str, int | None]  # party -> score
    average: Decimal | None


def consolidated(project: Project) -> tuple[list[str], list[ConsolidatedRow]]:
    """The three parties' scores side by side, per criterion, with their average."""
    parties = [s.party for s in rules(project).evaluation_scorers]
    entries = entries_of(project)
    rows = []
    for criterion in CRITERIA:
        scores = {}
        for party in parties:
            score = entries[party].score_of(criterion) if party in entries else None
            scores[party] = score.score if score else None
        given = [s for s in scores.values() if s is not None]
        average = (Decimal(sum(given)) / len(given)).quantize(Decimal("0.1")) if given else None
        rows.append(ConsolidatedRow(criterion, str(CRITERION_LABELS[criterion]), scores,
                                    average))
    return parties, rows


def report_snapshot(report: MonitoringReport) -> dict:
    """Exactly what the validators sign: the texts, the period and the frozen figures."""
    return {"report": report.id, "project": report.project_id, "round": report.round,
            "period": [report.period_start, report.period_end],
            "narrative": report.narrative, "achievements": report.achievements,
            "difficulties": report.difficulties, "indicators": report.indicators}


def report_hash(report: MonitoringReport) -> str:
    return hashlib.sha256(canonical_json(report_snapshot(report)).encode("utf-8")).hexdigest()
