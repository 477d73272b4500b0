"""The documents module's registrations in the workflow's hooks and the job queue (called by
tadafur.wiring).

- DOCUMENT_PRODUCERS['convention']: when the project enters the signature state, a job
  produces and freezes the convention (the parties sign it once it is ready);
- DOCUMENT_LOOKUP: the latest registered document of a kind, the frozen one when there is
  one: that is what the parties sign (a copy downloaded in another language while a report
  is under signature must not become the gate's subject);
- GATE_COMPLETED: after the convention gate's last sign-off, a job seals the final convention;
- the jobs `documents.freeze_convention` and `documents.finalize_convention`, and how a
  document's failure is named on a failed job (render_failed, seal_failed).

In the tests' eager mode the job runs at once: a failure refuses the transition, as before.
`register_hooks()` is idempotent.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tadafur.accounts.models import User
from tadafur.documents import rendering, sealing, services
from tadafur.extensions import db
from tadafur.jobs import registry as jobs_registry, services as jobs
from tadafur.projects.models import Project
from tadafur.workflow import hooks
from tadafur.workflow.services import WorkflowError


def lookup(project: Any, kind: str):
    return services.latest_frozen(project, kind) or services.latest(project, kind)


def lookup_many(projects: list, kind: str) -> dict[int, Any]:
    """The same choice as `lookup`, for many projects in one query."""
    return services.latest_for_projects([p.id for p in projects], kind)


def produce_convention(project: Any, actor: Any):
    """The convention put to signature, produced by a job; in eager mode a failure stops
    the transition (nothing changes)."""
    try:
        return jobs.enqueue("documents.freeze_convention", project=project, actor=actor)
    except services.DocumentError as error:
        raise WorkflowError(error.message) from error


def gate_completed(project: Any, gate: str, actor: Any) -> None:
    if not services.convention_gate(project, gate):
        return
    try:
        jobs.enqueue("documents.finalize_convention", project=project, actor=actor, gate=gate)
    except services.DocumentError as error:
        raise WorkflowError(error.message) from error


def job_subjects(job: Any) -> tuple[Project, User | None]:
    """The project and the person a job works for (its row names them)."""
    project = db.session.get(Project, job.project_id) if job.project_id else None
    if project is None:
        raise jobs_registry.JobFailure("missing")
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return project, actor


def run_freeze(job: Any) -> None:
    project, actor = job_subjects(job)
    services.freeze_convention(project, actor)


def run_finalize(job: Any) -> None:
    project, actor = job_subjects(job)
    services.finalize_convention(project, job.params["gate"], actor)


def classify(error: BaseException) -> tuple[str, dict] | None:
    """A document's failure on a job, as a code (its words: tadafur.jobs.registry.ERRORS)."""
    if not isinstance(error, services.DocumentError):
        return None
    cause = error.__cause__
    if isinstance(cause, rendering.RenderError):
        return "render_failed", {}
    if isinstance(cause, sealing.SealError):
        return "seal_failed", {}
    return "document_failed", {}


def register_hooks() -> None:
    hooks.DOCUMENT_PRODUCERS[services.CONVENTION] = produce_convention
    if lookup not in hooks.DOCUMENT_LOOKUP:
        hooks.DOCUMENT_LOOKUP.append(lookup)
    if lookup_many not in hooks.DOCUMENT_LOOKUP_MANY:
        hooks.DOCUMENT_LOOKUP_MANY.append(lookup_many)
    if gate_completed not in hooks.GATE_COMPLETED:
        hooks.GATE_COMPLETED.append(gate_completed)
    jobs_registry.register("documents.freeze_convention", run_freeze,
                           _l("Preparing the convention for signature"),
                           produces=(services.CONVENTION,))
    jobs_registry.register("documents.finalize_convention", run_finalize,
                           _l("Sealing the signed-off convention"),
                           produces=(services.CONVENTION_SIGNED,))
    if classify not in jobs_registry.CLASSIFIERS:
        jobs_registry.CLASSIFIERS.append(classify)
