"""Where other modules plug into the workflow (the documents and reporting modules register
here from their hooks modules, which tadafur.wiring calls before loading the definitions).

- DOCUMENT_PRODUCERS[kind](project, actor): called, in the same transaction, when a project
  enters a state that lists `documents: [kind]`; it queues the job that renders it
  (tadafur.jobs; a gate signing that document waits until the job has registered it).
- DOCUMENT_LOOKUP: each callable(project, kind) returns the latest registered document of that
  kind or None; gates with `subject: document:<kind>` bind sign-offs to its sha256.
- GATE_COMPLETED: each callable(project, gate, actor) runs, in the same transaction, when the
  last sign-off completes a gate (e.g. queue the job sealing the convention with its record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class DocumentRef(Protocol):
    id: int
    sha256: str


DOCUMENT_PRODUCERS: dict[str, Callable[[Any, Any], Any]] = {}
DOCUMENT_LOOKUP: list[Callable[[Any, str], DocumentRef | None]] = []
# The same for many projects in one query (pages listing many projects' tasks).
DOCUMENT_LOOKUP_MANY: list[Callable[[list, str], dict[int, DocumentRef]]] = []
GATE_COMPLETED: list[Callable[[Any, str, Any], None]] = []


def latest_document(project: Any, kind: str) -> DocumentRef | None:
    for lookup in DOCUMENT_LOOKUP:
        found = lookup(project, kind)
        if found is not None:
            return found
    return None


def latest_documents(projects: list, kind: str) -> dict[int, DocumentRef]:
    """{project id: latest document of `kind`} with one query per registered bulk lookup;
    per project through DOCUMENT_LOOKUP when no bulk lookup is registered."""
    if DOCUMENT_LOOKUP_MANY:
        found: dict[int, DocumentRef] = {}
        for lookup in DOCUMENT_LOOKUP_MANY:
            for project_id, document in lookup(projects, kind).items():
                found.setdefault(project_id, document)
        return found
    return {p.id: d for p in projects if (d := latest_document(p, kind)) is not None}
