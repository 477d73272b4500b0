"""The reporting module's registrations in the workflow and the job queue (called by
tadafur.wiring).

- DOCUMENT_PRODUCERS['final_report']: when the project enters the validation of the final
  report, its figures are frozen and a job renders the final report's PDF; the gate's
  sign-offs bind to its sha256 once it is ready.
- DOCUMENT_PRODUCERS['evaluation_report']: the same for the joint evaluation's signature.
- GUARDS 'final_report_complete' and 'evaluation_scored': the reports live here, so the
  workflow asks them through its guard registry instead of importing reporting.
- the project page's 'reports' and 'evaluation' tabs; the home page's reports-awaiting panel.
- GATE_COMPLETED: a job seals the final report and the evaluation with their sign-off record;
  COPY_PRODUCERS: a copy of a report in the language chosen in the Documents tab.
- the jobs that render them, and a validated monitoring report's PDF.

In eager mode (tests) a failure becomes a WorkflowError: the transition is refused and nothing
changes; with a worker, a failed job is retried, then shown to the programme officer.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l

from tadafur.core.dashboard import panel
from tadafur.documents.hooks import job_subjects
from tadafur.documents.services import COPY_PRODUCERS, DocumentError
from tadafur.extensions import db
from tadafur.jobs import registry as jobs_registry, services as jobs
from tadafur.projects import tabs
from tadafur.reporting import dashboard, sealed, services, views
from tadafur.reporting.models import MonitoringReport
from tadafur.vocabulary import list_words
from tadafur.workflow import hooks
from tadafur.workflow.guards import Missing, guard
from tadafur.workflow.services import WorkflowError


def _as_workflow_error(error: Exception) -> Exception:
    return WorkflowError(getattr(error, "message", str(error)))


def produce_final_report(project: Any, actor: Any):
    try:
        services.freeze_final_figures(project)
        return jobs.enqueue("reporting.final_report", project=project, actor=actor)
    except (services.ReportError, DocumentError) as error:
        raise _as_workflow_error(error) from error


def produce_evaluation_report(project: Any, actor: Any):
    try:
        return jobs.enqueue("reporting.evaluation_report", project=project, actor=actor)
    except (services.ReportError, DocumentError) as error:
        raise _as_workflow_error(error) from error


def seal_signed_report(project: Any, gate: str, actor: Any) -> None:
    """GATE_COMPLETED: the final report and the evaluation, sealed with their sign-off
    record once their gate completes, exactly as the convention is (by a job)."""
    if not sealed.signed_report_gate(project, gate):
        return
    try:
        jobs.enqueue("reporting.seal_signed", project=project, actor=actor, gate=gate)
    except DocumentError as error:
        raise _as_workflow_error(error) from error


def run_final_report(job: Any) -> None:
    project, actor = job_subjects(job)
    services.produce_final_pdf(project, actor)


def run_evaluation_report(job: Any) -> None:
    project, actor = job_subjects(job)
    services.produce_evaluation_pdf(project, actor)


def run_seal_signed(job: Any) -> None:
    project, actor = job_subjects(job)
    sealed.seal_signed_report(project, job.params["gate"], actor)


def run_monitoring_report(job: Any) -> None:
    _project, actor = job_subjects(job)
    report = db.session.get(MonitoringReport, job.params["report_id"])
    if report is None:
        raise jobs_registry.JobFailure("missing")
    document = services.produce_monitoring_pdf(report, actor)
    report.document_id = document.id
    db.session.flush()


def _register_jobs() -> None:
    jobs_registry.register("reporting.final_report", run_final_report,
                           _l("Preparing the final report for signature"),
                           produces=("final_report",))
    jobs_registry.register("reporting.evaluation_report", run_evaluation_report,
                           _l("Preparing the evaluation for signature"),
                           produces=("evaluation_report",))
    jobs_registry.register("reporting.seal_signed", run_seal_signed,
                           _l("Sealing the signed-off report"),
                           produces=("final_report", "evaluation_report"))
    jobs_registry.register("reporting.monitoring_report", run_monitoring_report,
                           _l("Preparing the validated monitoring report"),
                           produces=("monitoring_report",))


def final_report_complete(project: Any) -> bool:
    return not services.final_report_missing(project)


def evaluation_scored(project: Any) -> bool:
    return not services.evaluation_missing(project)


def register_hooks() -> None:
    _register_jobs()
    hooks.DOCUMENT_PRODUCERS["final_report"] = produce_final_report
    hooks.DOCUMENT_PRODUCERS["evaluation_report"] = produce_evaluation_report
    if seal_signed_report not in hooks.GATE_COMPLETED:
        hooks.GATE_COMPLETED.append(seal_signed_report)
    for kind in ("monitoring_report", "final_report", "evaluation_report"):
        # a registered copy of a report in the language chosen in the Documents tab
        COPY_PRODUCERS[kind] = (lambda project, actor, language, kind=kind:
                                sealed.produce_copy(project, kind, actor, language))
    guard("final_report_complete",
          refusal=lambda project: _("The final report is not complete: it still needs "
                                    "%(missing)s.",
                                    missing=list_words(services.final_report_missing(project))),
          negated_refusal=lambda project: _("The final report is already complete."),
          checklist=lambda project: [Missing(label, "final_report")
                                     for label in services.final_report_missing(project)],
          )(final_report_complete)
    guard("evaluation_scored",
          refusal=lambda project: _("Every party must score the six criteria first. Still "
                                    "missing: %(parties)s.",
                                    parties=list_words(services.evaluation_missing(project))),
          negated_refusal=lambda project: _("Every party has already scored the evaluation."),
          checklist=lambda project: [
              Missing(_("the scores of: %(party)s", party=party), "evaluation")
              for party in services.evaluation_missing(project)],
          )(evaluation_scored)
    for tab in ("reports", "evaluation"):
        tabs.register(tab, lambda project, tab, **forms: views.tab_context(project, tab))
    panel(dashboard.reports_awaiting_panel)
