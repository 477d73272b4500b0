"""The documents module's registrations in the workflow's hooks (called by tadafur.wiring).

- DOCUMENT_PRODUCERS['convention']: produce and freeze the convention when the project enters
  the signature state;
- DOCUMENT_LOOKUP: the latest registered document of a kind (for a convention, the frozen
  one when there is one: that is what the parties sign);
- GATE_COMPLETED: after the convention gate's last sign-off, the final sealed convention.

`register_hooks()` is idempotent.
"""

from __future__ import annotations

from typing import Any

from tadafur.documents import services
from tadafur.workflow import hooks
from tadafur.workflow.services import WorkflowError


def lookup(project: Any, kind: str):
    if kind == services.CONVENTION:
        return services.latest_frozen(project) or services.latest(project, kind)
    return services.latest(project, kind)


def lookup_many(projects: list, kind: str) -> dict[int, Any]:
    """The same choice as `lookup`, for many projects in one query."""
    return services.latest_for_projects([p.id for p in projects], kind,
                                        prefer_frozen=kind == services.CONVENTION)


def produce_convention(project: Any, actor: Any):
    """The convention put to signature; a failure stops the transition (nothing changes)."""
    try:
        return services.freeze_convention(project, actor)
    except services.DocumentError as error:
        raise WorkflowError(error.message) from error


def gate_completed(project: Any, gate: str, actor: Any) -> None:
    try:
        services.finalize_convention(project, gate, actor)
    except services.DocumentError as error:
        raise WorkflowError(error.message) from error


def register_hooks() -> None:
    hooks.DOCUMENT_PRODUCERS[services.CONVENTION] = produce_convention
    if lookup not in hooks.DOCUMENT_LOOKUP:
        hooks.DOCUMENT_LOOKUP.append(lookup)
    if lookup_many not in hooks.DOCUMENT_LOOKUP_MANY:
        hooks.DOCUMENT_LOOKUP_MANY.append(lookup_many)
    if gate_completed not in hooks.GATE_COMPLETED:
        hooks.GATE_COMPLETED.append(gate_completed)
