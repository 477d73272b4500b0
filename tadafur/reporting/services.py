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
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.audit.services import canonical_json, changes, record
from tadafur.extensions import db
from tadafur.i18n import format_day
from tadafur.jobs import services as jobs
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
from tadafur.reporting.producing import (  # moved; importable from here as before
    freeze_final_figures as freeze_final_figures,
    produce_evaluation_pdf as produce_evaluation_pdf,
    produce_final_pdf as produce_final_pdf,
    produce_monitoring_pdf as produce_monitoring_pdf,
    report_language as report_language,
)
from tadafur.reporting.queries import (  # moved; importable from here as before
    CRITERION_HELP as CRITERION_HELP,
    CRITERION_LABELS as CRITERION_LABELS,
    FINAL_FIELDS as FINAL_FIELDS,
    MAX_TEXT as MAX_TEXT,
    SCORE_LABELS as SCORE_LABELS,
    SCORES as SCORES,
    STATUS_LABELS as STATUS_LABELS,
    ConsolidatedRow as ConsolidatedRow,
    ReportError as ReportError,
    awaiting_validation as awaiting_validation,
    closure_gaps as closure_gaps,
    consolidated as consolidated,
    current_validations as current_validations,
    entries_of as entries_of,
    evaluation_missing as evaluation_missing,
    evaluation_of as evaluation_of,
    evaluation_open as evaluation_open,
    final_report_missing as final_report_missing,
    final_report_of as final_report_of,
    final_report_open as final_report_open,
    financial_statement as financial_statement,
    funder_label as funder_label,
    indicator_rows as indicator_rows,
    is_final_author as is_final_author,
    is_monitoring_author as is_monitoring_author,
    missing_validators as missing_validators,
    monitoring_open as monitoring_open,
    open_validation_parties as open_validation_parties,
    refuse,
    report_hash as report_hash,
    report_or_404 as report_or_404,
    report_snapshot as report_snapshot,
    reports_of as reports_of,
    rules as rules,
    scorer_parties as scorer_parties,
    validator_parties as validator_parties,
)
from tadafur.vocabulary import period
from tadafur.workflow import dates, notices, services as workflow

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
    return format_day(value)


def _ensure_author(actor: Any, project: Project) -> None:
    if not is_monitoring_author(actor, project):
        raise refuse(_("Only the parties named by the workflow write monitoring reports."))
    if not monitoring_open(project):
        raise refuse(_("Monitoring reports are written while the project is in execution."))


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
        raise refuse(_("Only a draft report can be changed."))
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


def submit_report(actor: Any, report: MonitoringReport) -> MonitoringReport:
    """Submit a draft for validation: the indicator table is frozen from the recorded
    values up to the period's end; a new round of validations starts."""
    project = report.project
    _ensure_author(actor, project)
    report = _lock_report(report)
    if report.status != "draft":
        raise refuse(_("This report has already been submitted."))
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


def _period(report: MonitoringReport) -> dict:
    return period(report.period_start, report.period_end)


def validate_report(actor: Any, report: MonitoringReport, decision: str,
                    comment: str | None, password: str | None,
                    party: str | None = None, code: str | None = None) -> MonitoringReport:
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
    try:  # before the lock: password hashing is slow on purpose
        second_factor = workflow.check_signing_password(actor, password, code)
    except workflow.WorkflowError as error:
        raise ReportError(error.message, error.field) from None
    project = report.project
    report = _lock_report(report)
    parties = open_validation_parties(actor, report)
    if party is not None:
        parties = [p for p in parties if p == party]
    if not parties:
        raise refuse(_("This report does not await your validation."))
    party = parties[0]
    signed_hash = report_hash(report)
    validation = ReportValidation(report_id=report.id, round=report.round, party=party,
                                  user_id=actor.id, decision=decision, comment=comment,
                                  signed_hash=signed_hash, signed_at=utcnow(),
                                  second_factor=second_factor)
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
        db.session.flush()
        record("monitoring_report.validated", obj=report, project=project, actor=actor,
               summary=f"{report.period_start} - {report.period_end} validated",
               before=before, after={"status": report.status})
        # its PDF is rendered by a job (reporting.hooks), registered with its own event
        jobs.enqueue("reporting.monitoring_report", project=project, actor=actor,
                     report_id=report.id)
        notices.send("report_validated", project, period=_period(report))
    return report


# ---------------------------------------------------------------- final report


def _final_values(report: FinalReport) -> dict:
    return {name: getattr(report, name) for name in FINAL_FIELDS}


def save_final_report(actor: Any, project: Project, values: dict) -> FinalReport:
    """Write or correct the final report and the committee's minutes; audited."""
    if not is_final_author(actor, project):
        raise refuse(_("Only the parties named by the workflow write the final report."))
    if not final_report_open(project):
        raise refuse(_("The final report is written once the execution is complete."))
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


# ---------------------------------------------------------------- evaluation


def _entry_values(entry: EvaluationEntry) -> dict:
    values: dict[str, Any] = {"lessons": entry.lessons,
                              "recommendations": entry.recommendations}
    for score in entry.scores:
        values[score.criterion] = [score.score, score.justification]
    return values


def _ensure_scorer(actor: Any, project: Project, party: str) -> None:
    if party not in scorer_parties(actor, project):
        raise refuse(_("You cannot score the evaluation for this party."))
    if not evaluation_open(project):
        raise refuse(_("The evaluation is scored at the joint evaluation stage."))


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
        raise refuse(_("You cannot score the evaluation for this party."))
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
