"""Monitoring reports, the final report and the joint evaluation: the rules.

Who writes, validates and scores comes from the workflow definition's `reports:` section
(`workflows/co_creation.yaml`); in which states is said there too. Figures come from the
execution module: `indicator_results` fills the indicator tables, `budget_statement` the
financial statement. Every change is audited with before/after values in the caller's
transaction (services flush; the request commits once). Bad input raises `ReportError` with
a translated message and the form field it concerns, before anything is changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tadafur.access import acts_for, is_read_only
from tadafur.accounts.services import check_password
from tadafur.audit.services import canonical_json, changes, record
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.projects.models import Project
from tadafur.reporting.models import (
    CRITERIA,
    Evaluation,
    EvaluationEntry,
    EvaluationScore,
    FinalReport,
    MonitoringReport,
    ReportValidation,
)
from tadafur.workflow import dates, notices
from tadafur.workflow import services as workflow
from tadafur.workflow.definition import ReportRules, Signer

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


class ReportError(Exception):
    """A refusal with a translated message (and the form field it concerns, if any)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def _refuse(message: str) -> ReportError:
    """A refusal about the state of things (409), not about what was typed."""
    return ReportError(message, status=409)


# ---------------------------------------------------------------- who may do what

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


# ---------------------------------------------------------------- reading

def reports_of(project: Project) -> list[MonitoringReport]:
    """The project's monitoring reports, oldest period first, validations loaded."""
    return list(db.session.scalars(
        select(MonitoringReport).where(MonitoringReport.project_id == project.id)
        .options(selectinload(MonitoringReport.validations))
        .order_by(MonitoringReport.period_start, MonitoringReport.id)))


def report_or_404(project: Project, report_id: int) -> MonitoringReport:
    from flask import abort

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
    from tadafur.access import visible_projects

    if user is None or is_read_only(user):
        return []
    statement = visible_projects(
        select(MonitoringReport).join(Project, Project.id == MonitoringReport.project_id)
        .where(MonitoringReport.status == "submitted"), user) \
        .options(selectinload(MonitoringReport.validations),
                 selectinload(MonitoringReport.project).selectinload(Project.partners))
    return [r for r in db.session.scalars(statement.order_by(MonitoringReport.submitted_at))
            if open_validation_parties(user, r)]


# ---------------------------------------------------------------- figures from execution

def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def indicator_rows(project: Project, period_start: dt.date | None = None,
                   period_end: dt.date | None = None) -> list[dict]:
    """The indicator table: each indicator against baseline and target, the value of the
    period, what is achieved up to its end, disaggregated (women, youth) when recorded."""
    from tadafur.execution.services import indicator_results

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
    from tadafur.execution.services import budget_statement, financial_closure

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
    from tadafur.projects.services import FUNDER_LABELS

    return next((str(label) for key, label in FUNDER_LABELS.items() if key == code), code)


# ---------------------------------------------------------------- monitoring reports

def _allowed(project: Project, kind: str, day: dt.date, field: str) -> None:
    """The workflow's date rule for `kind` (its refusal names the allowed range)."""
    try:
        dates.check(project, kind, day, field)
    except dates.DateRefused as refused:
        raise ReportError(refused.message, field) from None


REPORT_FIELDS = ("period_start", "period_end", "narrative", "achievements", "difficulties")


def _report_values(report: MonitoringReport) -> dict:
    return {"period_start": report.period_start, "period_end": report.period_end,
            "narrative": report.narrative, "achievements": report.achievements,
            "difficulties": report.difficulties, "status": report.status,
            "round": report.round}


def _clean_report(project: Project, values: dict, report: MonitoringReport | None) -> dict:
    start, end = values.get("period_start"), values.get("period_end")
    if not isinstance(start, dt.date):
        raise ReportError(_("Enter the first day of the period."), "period_start")
    if not isinstance(end, dt.date):
        raise ReportError(_("Enter the last day of the period."), "period_end")
    if end < start:
        raise ReportError(_("The period must end on or after its first day."), "period_end")
    _allowed(project, "report_period", start, "period_start")
    _allowed(project, "report_period", end, "period_end")
    overlapping = db.session.scalar(
        select(MonitoringReport).where(
            MonitoringReport.project_id == project.id,
            MonitoringReport.period_start <= end, MonitoringReport.period_end >= start,
            MonitoringReport.id != (report.id if report is not None else -1)).limit(1))
    if overlapping is not None:
        raise ReportError(_("This period overlaps the report from %(start)s to %(end)s.",
                            start=_day(overlapping.period_start),
                            end=_day(overlapping.period_end)), "period_start")
    cleaned = {"period_start": start, "period_end": end}
    for name in ("narrative", "achievements", "difficulties"):
        text = (values.get(name) or "").strip()
        if not text:
            raise ReportError(_("This field is required."), name)
        if len(text) > MAX_TEXT:
            raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT), name)
        cleaned[name] = text
    return cleaned


def _day(value: dt.date) -> str:
    from tadafur.i18n import format_day

    return format_day(value)


def _ensure_author(actor: Any, project: Project) -> None:
    if not is_monitoring_author(actor, project):
        raise _refuse(_("Only the parties named by the workflow write monitoring reports."))
    if not monitoring_open(project):
        raise _refuse(_("Monitoring reports are written while the project is in execution."))


def create_report(actor: Any, project: Project, values: dict) -> MonitoringReport:
    """A new draft monitoring report of `project`; audited."""
    _ensure_author(actor, project)
    cleaned = _clean_report(project, values, None)
    report = MonitoringReport(project_id=project.id, status="draft", round=0,
                              created_by_id=actor.id, **cleaned)
    report.project = project
    db.session.add(report)
    db.session.flush()
    record("monitoring_report.created", obj=report, project=project, actor=actor,
           summary=f"{report.period_start} - {report.period_end}",
           after=_report_values(report))
    return report


def _lock_report(report: MonitoringReport) -> MonitoringReport:
    return db.session.execute(
        select(MonitoringReport).where(MonitoringReport.id == report.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def update_report(actor: Any, report: MonitoringReport, values: dict) -> MonitoringReport:
    """Correct a draft (a returned report is a draft again); audited with what changed."""
    project = report.project
    _ensure_author(actor, project)
    report = _lock_report(report)
    if report.status != "draft":
        raise _refuse(_("Only a draft report can be changed."))
    cleaned = _clean_report(project, values, report)
    before = _report_values(report)
    for name, value in cleaned.items():
        setattr(report, name, value)
    db.session.flush()
    old, new = changes(before, _report_values(report))
    if new:
        record("monitoring_report.updated", obj=report, project=project, actor=actor,
               summary=f"{report.period_start} - {report.period_end}", before=old, after=new)
    return report


def report_snapshot(report: MonitoringReport) -> dict:
    """Exactly what the validators sign: the texts, the period and the frozen figures."""
    return {"report": report.id, "project": report.project_id, "round": report.round,
            "period": [report.period_start, report.period_end],
            "narrative": report.narrative, "achievements": report.achievements,
            "difficulties": report.difficulties, "indicators": report.indicators}


def report_hash(report: MonitoringReport) -> str:
    return hashlib.sha256(canonical_json(report_snapshot(report)).encode("utf-8")).hexdigest()


def submit_report(actor: Any, report: MonitoringReport) -> MonitoringReport:
    """Submit a draft for validation: the indicator table is frozen from the recorded
    values up to the period's end; a new round of validations starts."""
    project = report.project
    _ensure_author(actor, project)
    report = _lock_report(report)
    if report.status != "draft":
        raise _refuse(_("This report has already been submitted."))
    before = _report_values(report)
    report.indicators_json = canonical_json(
        indicator_rows(project, report.period_start, report.period_end))
    report.status, report.round = "submitted", report.round + 1
    report.submitted_at, report.return_comment = utcnow(), None
    db.session.flush()
    record("monitoring_report.submitted", obj=report, project=project, actor=actor,
           summary=f"{report.period_start} - {report.period_end} (round {report.round})",
           before={"status": before["status"], "round": before["round"]},
           after={"status": report.status, "round": report.round,
                  "indicators": report.indicators, "hash": report_hash(report)})
    notices.send("report_submitted", project, period=_period(report))
    return report


def _period(report: MonitoringReport) -> str:
    return f"{report.period_start.isoformat()} – {report.period_end.isoformat()}"


def validate_report(actor: Any, report: MonitoringReport, decision: str,
                    comment: str | None, password: str | None,
                    party: str | None = None) -> MonitoringReport:
    """A validator's decision, signed with their password (as at a workflow gate).

    `approve` by the last missing party validates the report and registers its PDF;
    `return` (comment required) sends it back to its authors as a draft.
    """
    comment = (comment or "").strip() or None
    if decision not in ("approve", "return"):
        raise ReportError(_("Choose to validate or to return the report."), "decision")
    if decision == "return" and not comment:
        raise ReportError(_("A comment is required: say what must be corrected."), "comment")
    if comment and len(comment) > MAX_TEXT:
        raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT), "comment")
    if not check_password(actor, password or ""):
        # before the lock: password hashing is slow on purpose
        raise ReportError(_("The password is not correct."), "password")
    project = report.project
    report = _lock_report(report)
    parties = open_validation_parties(actor, report)
    if party is not None:
        parties = [p for p in parties if p == party]
    if not parties:
        raise _refuse(_("This report does not await your validation."))
    party = parties[0]
    signed_hash = report_hash(report)
    validation = ReportValidation(report_id=report.id, round=report.round, party=party,
                                  user_id=actor.id, decision=decision, comment=comment,
                                  signed_hash=signed_hash, signed_at=utcnow())
    report.validations.append(validation)
    db.session.flush()
    before = {"status": report.status}
    if decision == "return":
        report.status, report.return_comment = "draft", comment
        db.session.flush()
        record("monitoring_report.returned", obj=report, project=project, actor=actor,
               summary=f"{party} returned round {report.round}", before=before,
               after={"status": report.status, "party": party, "comment": comment,
                      "round": report.round, "signed_hash": signed_hash})
        notices.send("report_returned", project, period=_period(report), comment=comment)
        return report
    record("monitoring_report.approved", obj=report, project=project, actor=actor,
           summary=f"{party} approved round {report.round}", before=before,
           after={"party": party, "round": report.round, "signed_hash": signed_hash,
                  "comment": comment})
    if not missing_validators(report):
        report.status, report.validated_at = "validated", utcnow()
        document = produce_monitoring_pdf(report, actor)
        report.document_id = document.id
        db.session.flush()
        record("monitoring_report.validated", obj=report, project=project, actor=actor,
               summary=f"{report.period_start} - {report.period_end} validated",
               before=before, after={"status": report.status, "document_id": document.id,
                                     "document_sha256": document.sha256})
        notices.send("report_validated", project, period=_period(report))
    return report


# ---------------------------------------------------------------- final report

FINAL_FIELDS = ("narrative", "lessons", "committee_date", "committee_attendees",
                "committee_decisions", "financial_justification")


def final_report_of(project: Project) -> FinalReport | None:
    return db.session.scalar(select(FinalReport).where(FinalReport.project_id == project.id))


def _final_values(report: FinalReport) -> dict:
    return {name: getattr(report, name) for name in FINAL_FIELDS}


def save_final_report(actor: Any, project: Project, values: dict) -> FinalReport:
    """Write or correct the final report and the committee's minutes; audited."""
    if not is_final_author(actor, project):
        raise _refuse(_("Only the parties named by the workflow write the final report."))
    if not final_report_open(project):
        raise _refuse(_("The final report is written once the execution is complete."))
    cleaned: dict[str, Any] = {}
    for name in ("narrative", "lessons", "committee_attendees", "committee_decisions",
                 "financial_justification"):
        text = (values.get(name) or "").strip()
        if len(text) > MAX_TEXT:
            raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT), name)
        cleaned[name] = text
    if not cleaned["narrative"]:
        raise ReportError(_("This field is required."), "narrative")
    day = values.get("committee_date")
    if day is not None and not isinstance(day, dt.date):
        raise ReportError(_("Enter a date."), "committee_date")
    if day is not None:
        _allowed(project, "final_committee", day, "committee_date")
    cleaned["committee_date"] = day
    report = final_report_of(project)
    before = _final_values(report) if report else {}
    if report is None:
        report = FinalReport(project_id=project.id)
        db.session.add(report)
    for name, value in cleaned.items():
        setattr(report, name, value)
    report.updated_by_id, report.updated_at = actor.id, utcnow()
    db.session.flush()
    old, new = changes(before, _final_values(report))
    if new:
        record("final_report.saved", obj=report, project=project, actor=actor,
               summary="final report", before=old, after=new)
    return report


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
    from tadafur.execution.services import financial_closure
    from tadafur.i18n import format_amount

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


# ---------------------------------------------------------------- evaluation

def entries_of(project: Project) -> dict[str, EvaluationEntry]:
    """{party: entry} with their scores: two queries."""
    return {e.party: e for e in db.session.scalars(
        select(EvaluationEntry).where(EvaluationEntry.project_id == project.id))}


def evaluation_of(project: Project) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.project_id == project.id))


def _entry_values(entry: EvaluationEntry) -> dict:
    values: dict[str, Any] = {"lessons": entry.lessons,
                              "recommendations": entry.recommendations}
    for score in entry.scores:
        values[score.criterion] = [score.score, score.justification]
    return values


def _ensure_scorer(actor: Any, project: Project, party: str) -> None:
    if party not in scorer_parties(actor, project):
        raise _refuse(_("You cannot score the evaluation for this party."))
    if not evaluation_open(project):
        raise _refuse(_("The evaluation is scored at the joint evaluation stage."))


def save_scores(actor: Any, project: Project, party: str, values: dict) -> EvaluationEntry:
    """One party's six scores (1 to 4, each justified), lessons and recommendations."""
    _ensure_scorer(actor, project, party)
    cleaned: dict[str, tuple[int, str]] = {}
    for criterion in CRITERIA:
        raw = values.get(f"{criterion}_score")
        try:
            score = int(str(raw).strip())
        except (TypeError, ValueError):
            score = None
        if score not in SCORES:
            raise ReportError(_("Give a score from 1 to 4."), f"{criterion}_score")
        justification = (values.get(f"{criterion}_justification") or "").strip()
        if not justification:
            raise ReportError(_("Justify the score."), f"{criterion}_justification")
        if len(justification) > MAX_TEXT:
            raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT),
                              f"{criterion}_justification")
        cleaned[criterion] = (score, justification)
    texts = {}
    for name in ("lessons", "recommendations"):
        text = (values.get(name) or "").strip()
        if not text:
            raise ReportError(_("This field is required."), name)
        if len(text) > MAX_TEXT:
            raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT), name)
        texts[name] = text
    entry = entries_of(project).get(party)
    before = _entry_values(entry) if entry else {}
    if entry is None:
        entry = EvaluationEntry(project_id=project.id, party=party, scores=[])
        db.session.add(entry)
    entry.lessons, entry.recommendations = texts["lessons"], texts["recommendations"]
    entry.updated_by_id, entry.updated_at = actor.id, utcnow()
    for criterion, (score, justification) in cleaned.items():
        row = entry.score_of(criterion)
        if row is None:
            entry.scores.append(EvaluationScore(criterion=criterion, score=score,
                                                justification=justification))
        else:
            row.score, row.justification = score, justification
    db.session.flush()
    old, new = changes(before, _entry_values(entry))
    if new:
        record("evaluation.scored", obj=entry, project=project, actor=actor,
               summary=f"{party} scored the evaluation", before=old, after=new)
    return entry


PARTICIPATION_FIELDS = ("women_participants", "youth_participants", "participation_notes")


def save_participation(actor: Any, project: Project, values: dict) -> Evaluation:
    """Women's and youth participation results of the project; any scoring party."""
    parties = scorer_parties(actor, project)
    if not parties:
        raise _refuse(_("You cannot score the evaluation for this party."))
    _ensure_scorer(actor, project, parties[0])
    cleaned: dict[str, Any] = {}
    for name in ("women_participants", "youth_participants"):
        raw = values.get(name)
        try:
            number = int(str(raw).strip())
        except (TypeError, ValueError):
            number = -1
        if number < 0 or number > 10_000_000:
            raise ReportError(_("Enter a whole number, 0 or more."), name)
        cleaned[name] = number
    notes = (values.get("participation_notes") or "").strip()
    if len(notes) > MAX_TEXT:
        raise ReportError(_("At most %(max)d characters.", max=MAX_TEXT),
                          "participation_notes")
    cleaned["participation_notes"] = notes
    evaluation = evaluation_of(project)
    before = {n: getattr(evaluation, n) for n in PARTICIPATION_FIELDS} if evaluation else {}
    if evaluation is None:
        evaluation = Evaluation(project_id=project.id)
        db.session.add(evaluation)
    for name, value in cleaned.items():
        setattr(evaluation, name, value)
    evaluation.updated_by_id, evaluation.updated_at = actor.id, utcnow()
    db.session.flush()
    old, new = changes(before, cleaned)
    if new:
        record("evaluation.participation", obj=evaluation, project=project, actor=actor,
               summary="participation results", before=old, after=new)
    return evaluation


def evaluation_missing(project: Project) -> list[str]:
    """The parties whose complete scores are still missing (translated names)."""
    from tadafur.workflow.labels import party_label

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


# ---------------------------------------------------------------- documents

def report_language() -> str:
    return current_app.config.get("DOCUMENTS_REPORT_LANGUAGE", "ar")


def produce_monitoring_pdf(report: MonitoringReport, actor: Any, language: str | None = None):
    from tadafur.documents import services as documents
    from tadafur.reporting import pdf

    language = language or report_language()
    return documents.produce(report.project, "monitoring_report", actor, language,
                             sections=pdf.monitoring_sections(report, language))


def produce_final_pdf(project: Project, actor: Any, language: str | None = None):
    """DOCUMENT_PRODUCERS['final_report']: freeze the figures, render, register."""
    from tadafur.documents import services as documents
    from tadafur.reporting import pdf

    report = final_report_of(project)
    if report is None:
        raise ReportError(_("The final report has not been written."), status=409)
    report.results_json = canonical_json(indicator_rows(project))
    report.financial_json = canonical_json(financial_statement(project))
    db.session.flush()
    language = language or report_language()
    return documents.produce(project, "final_report", actor, language, frozen=True,
                             sections=pdf.final_sections(project, report, language))


def produce_evaluation_pdf(project: Project, actor: Any, language: str | None = None):
    """DOCUMENT_PRODUCERS['evaluation_report']."""
    from tadafur.documents import services as documents
    from tadafur.reporting import pdf

    language = language or report_language()
    return documents.produce(project, "evaluation_report", actor, language, frozen=True,
                             sections=pdf.evaluation_sections(project, language))
