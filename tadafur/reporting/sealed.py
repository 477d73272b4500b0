"""The reports as signed: the final report and the evaluation sealed with their sign-off record
when their gate completes (as the convention is), and registered copies of a report in the
language chosen in the Documents tab (the copy keeps that language)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from tadafur.documents import services as documents
from tadafur.projects.models import Project
from tadafur.reporting import pdf
from tadafur.reporting.services import (
    ReportError,
    final_report_of,
    produce_monitoring_pdf,
    reports_of,
)

SIGNED_REPORTS = {"report_validation": "final_report", "joint_evaluation": "evaluation_report"}


def signed_report_gate(project: Project, gate: str) -> bool:
    """Whether completing `gate` seals a report (its sign-offs bind to the frozen report)."""
    kind = SIGNED_REPORTS.get(gate)
    frozen = documents.latest_frozen(project, kind) if kind else None
    return frozen is not None and bool(documents.gate_signoffs(project, gate, frozen.sha256))


def seal_signed_report(project: Project, gate: str, actor: Any):
    """GATE_COMPLETED: once the final report's (or the evaluation's) gate completes, the report
    as signed, with its sign-off record, sealed: exactly as the convention is."""
    kind = {"report_validation": "final_report", "joint_evaluation": "evaluation_report"}.get(
        gate)
    if kind is None:
        return None
    frozen = documents.latest_frozen(project, kind)
    if frozen is None:
        return None
    signoffs = documents.gate_signoffs(project, gate, frozen.sha256)
    if not signoffs:
        return None
    if kind == "final_report":
        report = final_report_of(project)

        def sections(lang: str) -> list[dict]:
            return pdf.final_sections(project, report, lang)
    else:
        def sections(lang: str) -> list[dict]:
            return pdf.evaluation_sections(project, lang)
    return documents.produce(project, kind, actor, frozen.language, gate=gate, final=True,
                             sections=sections,
                             context={"signoffs": signoffs, "signed_document": frozen})


def produce_copy(project: Project, kind: str, actor: Any, language: str):
    """A registered copy of the project's latest report of `kind` in `language` (chosen when
    downloading): the same figures, and the sign-off record when it was signed."""
    if kind == "monitoring_report":
        validated = [r for r in reports_of(project) if r.status == "validated"]
        if not validated:
            raise ReportError(_("No validated monitoring report yet."), status=409)
        return produce_monitoring_pdf(validated[-1], actor, language)
    gate = {"final_report": "report_validation", "evaluation_report": "joint_evaluation"}[kind]
    frozen = documents.latest_frozen(project, kind)
    if frozen is None:
        raise ReportError(_("This report has not been put to signature yet."), status=409)
    report = final_report_of(project)
    signoffs = documents.gate_signoffs(project, gate, frozen.sha256)
    context = {"signoffs": signoffs, "signed_document": frozen} if signoffs else {}

    def sections(lang: str) -> list[dict]:
        if kind == "final_report":
            return pdf.final_sections(project, report, lang)
        return pdf.evaluation_sections(project, lang)
    return documents.produce(project, kind, actor, language, sections=sections,
                             context=context, final=bool(signoffs), gate=gate)
