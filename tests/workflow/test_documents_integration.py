"""With the real documents module: the convention is produced on entering the signature state,
sign-offs bind to its sha256, and the gate's completion hook runs in the same transaction."""

from __future__ import annotations

import importlib.util

import pytest

from tadafur.workflow import hooks, services
from tests.workflow import doubles
from tests.workflow.conftest import act, to_state

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tadafur.documents.hooks") is None,
    reason="the documents module is not installed")


@pytest.fixture
def real_document_hooks(monkeypatch):
    """Undo the workflow tests' fake convention: the documents module's own registrations."""
    monkeypatch.setattr(hooks, "DOCUMENT_PRODUCERS", {})
    monkeypatch.setattr(hooks, "DOCUMENT_LOOKUP", [])
    monkeypatch.setattr(hooks, "GATE_COMPLETED", [])
    importlib.import_module("tadafur.documents.hooks").register_hooks()
    assert hooks.DOCUMENT_PRODUCERS["convention"] is not doubles.fake_convention_producer


def test_convention_signed_with_the_real_documents_module(
        real_document_hooks, project, agent, president, chair, officer, member):
    to_state(project, "convention_signature", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    document = hooks.latest_document(project, "convention")
    assert document is not None and len(document.sha256) == 64
    for signer in (president, chair):
        act(signer, project, "signoff:convention")
    assert all(s.signed_hash == document.sha256 for s in services.signoffs(project)
               if s.gate == "convention")
    act(officer, project, "signoff:convention")
    assert project.state == "in_execution"
    from tadafur.documents.services import latest

    signed = latest(project, "convention_signed")  # made by the gate-completed hook
    assert signed is not None
