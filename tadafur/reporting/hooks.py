"""The reporting module's registrations in the workflow's hooks.

- DOCUMENT_PRODUCERS['final_report']: when the project enters the validation of the final
  report, the final report's PDF is produced; the gate's sign-offs bind to its sha256.
- DOCUMENT_PRODUCERS['evaluation_report']: the same for the joint evaluation's signature.

A failure becomes a WorkflowError: the transition is refused and nothing changes.
"""

from __future__ import annotations

from typing import Any


def _as_workflow_error(error: Exception) -> Exception:
    from tadafur.workflow.services import WorkflowError

    return WorkflowError(getattr(error, "message", str(error)))


def produce_final_report(project: Any, actor: Any):
    from tadafur.documents.services import DocumentError
    from tadafur.reporting import services

    try:
        return services.produce_final_pdf(project, actor)
    except (services.ReportError, DocumentError) as error:
        raise _as_workflow_error(error) from error


def produce_evaluation_report(project: Any, actor: Any):
    from tadafur.documents.services import DocumentError
    from tadafur.reporting import services

    try:
        return services.produce_evaluation_pdf(project, actor)
    except (services.ReportError, DocumentError) as error:
        raise _as_workflow_error(error) from error


def seal_signed_report(project: Any, gate: str, actor: Any) -> None:
    """GATE_COMPLETED: the final report and the evaluation, sealed with their record."""
    from tadafur.documents.services import DocumentError
    from tadafur.reporting import services

    try:
        services.seal_signed_report(project, gate, actor)
    except DocumentError as error:
        raise _as_workflow_error(error) from error


def register_hooks() -> None:
    from tadafur.workflow import hooks

    hooks.DOCUMENT_PRODUCERS["final_report"] = produce_final_report
    hooks.DOCUMENT_PRODUCERS["evaluation_report"] = produce_evaluation_report
    if seal_signed_report not in hooks.GATE_COMPLETED:
        hooks.GATE_COMPLETED.append(seal_signed_report)
    from tadafur.documents.services import COPY_PRODUCERS
    from tadafur.reporting import services

    for kind in ("monitoring_report", "final_report", "evaluation_report"):
        COPY_PRODUCERS[kind] = (lambda project, actor, language, kind=kind:
                                services.produce_copy(project, kind, actor, language))


register_hooks()
