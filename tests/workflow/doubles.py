"""Test doubles for the workflow tests.

`FakeConventionDocument` stands in for the documents module's registered convention until
that module registers its own producer in tadafur.workflow.hooks: it is only installed when
no real producer is registered, and it is clearly not a real document (no file, no PDF).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

_ids = itertools.count(1)
FAKE_DOCUMENTS: dict[tuple[int, str], FakeConventionDocument] = {}


@dataclass
class FakeConventionDocument:
    """TEST DOUBLE of a registered document: an id and the sha256 of a made-up text."""

    id: int
    sha256: str
    project_id: int
    kind: str


def fake_convention_producer(project: Any, actor: Any) -> FakeConventionDocument:
    n = next(_ids)
    text = f"FAKE convention {project.reference} #{n} content v{project.content_version}"
    document = FakeConventionDocument(n, hashlib.sha256(text.encode()).hexdigest(),
                                      project.id, "convention")
    FAKE_DOCUMENTS[(project.id, "convention")] = document
    return document


def fake_producer(kind: str):
    """The same double for another kind (the final and evaluation reports)."""

    def produce(project: Any, actor: Any) -> FakeConventionDocument:
        n = next(_ids)
        text = f"FAKE {kind} {project.reference} #{n}"
        document = FakeConventionDocument(n, hashlib.sha256(text.encode()).hexdigest(),
                                          project.id, kind)
        FAKE_DOCUMENTS[(project.id, kind)] = document
        return document

    return produce


FAKE_PRODUCERS = {"convention": fake_convention_producer,
                  "final_report": fake_producer("final_report"),
                  "evaluation_report": fake_producer("evaluation_report")}


def fake_lookup(project: Any, kind: str) -> FakeConventionDocument | None:
    return FAKE_DOCUMENTS.get((project.id, kind))


def install_document_double_if_needed() -> bool:
    """Register the fake convention producer unless a real one is registered."""
    from tadafur.wiring import register_hooks
    from tadafur.workflow import hooks

    register_hooks()
    if "convention" in hooks.DOCUMENT_PRODUCERS:
        return False
    hooks.DOCUMENT_PRODUCERS["convention"] = fake_convention_producer
    hooks.DOCUMENT_LOOKUP.append(fake_lookup)
    return True


USING_DOCUMENT_DOUBLE = install_document_double_if_needed()
