"""The reports' documents: which language the workflow produces them in, the final report's
figures frozen when it is put to signature, and the monitoring, final and evaluation PDFs
(rendered by jobs; see reporting.hooks)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _

from tadafur.audit.services import canonical_json
from tadafur.documents import services as documents
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.reporting import pdf
from tadafur.reporting.models import MonitoringReport
from tadafur.reporting.queries import (
    ReportError,
    final_report_of,
    financial_statement,
    indicator_rows,
)


def report_language() -> str:
    """The language of a report the workflow produces: both, like the convention, unless the
    installation says otherwise (a copy in one language is made from the Documents tab)."""
    return current_app.config.get("DOCUMENTS_REPORT_LANGUAGE", "bilingual")


def produce_monitoring_pdf(report: MonitoringReport, actor: Any, language: str | None = None):
    language = language or report_language()
    return documents.produce(report.project, "monitoring_report", actor, language,
                             sections=lambda lang: pdf.monitoring_sections(report, lang))


def freeze_final_figures(project: Project):
    """The final report's figures as they stand when it is put to signature (in the
    transition's transaction; its PDF is rendered from them by a job)."""
    report = final_report_of(project)
    if report is None:
        raise ReportError(_("The final report has not been written."), status=409)
    report.results_json = canonical_json(indicator_rows(project))
    report.financial_json = canonical_json(financial_statement(project))
    db.session.flush()
    return report


def produce_final_pdf(project: Project, actor: Any, language: str | None = None):
    """The final report's frozen PDF, from the figures `freeze_final_figures` kept."""
    report = final_report_of(project)
    if report is None:
        raise ReportError(_("The final report has not been written."), status=409)
    if report.results_json is None:
        freeze_final_figures(project)
    language = language or report_language()
    return documents.produce(project, "final_report", actor, language, frozen=True,
                             sections=lambda lang: pdf.final_sections(project, report, lang))


def produce_evaluation_pdf(project: Project, actor: Any, language: str | None = None):
    """DOCUMENT_PRODUCERS['evaluation_report']."""
    language = language or report_language()
    return documents.produce(project, "evaluation_report", actor, language, frozen=True,
                             sections=lambda lang: pdf.evaluation_sections(project, lang))
