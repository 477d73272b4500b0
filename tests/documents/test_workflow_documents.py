"""The convention through the workflow: frozen when the signature starts, sign-offs bound to
its hash, and after the last sign-off the final convention with the record, sealed."""

from __future__ import annotations

import pytest

from tadafur.audit.models import AuditEvent
from tadafur.documents import hooks as document_hooks, rendering, sealing, services
from tadafur.workflow import hooks
from tadafur.workflow.models import SignOff
from tests.documents.conftest import pdf_text
from tests.workflow.conftest import act, build_project, to_state

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


def test_documents_module_registers_its_hooks():
    assert hooks.DOCUMENT_PRODUCERS["convention"] is document_hooks.produce_convention
    assert document_hooks.lookup in hooks.DOCUMENT_LOOKUP
    assert document_hooks.gate_completed in hooks.GATE_COMPLETED


def test_lookup_prefers_the_frozen_convention(project):
    frozen = services.freeze_convention(project, None)
    services.produce(project, "convention", None, "fr")  # a later draft
    assert hooks.latest_document(project, "convention").id == frozen.id
    assert services.latest(project, "convention").id != frozen.id


def test_signature_freezes_the_convention_and_the_last_signoff_seals_it(
        commune, association, people, tmp_path):
    project = build_project(commune, association, people["agent"])
    to_state(project, "convention_signature", **people)

    frozen = services.latest_frozen(project)
    assert frozen is not None and frozen.frozen and not frozen.sealed
    for signer in ("president", "chair", "officer"):
        act(people[signer], project, "signoff:convention")
    signoffs = [s for s in services.signoffs_of(project) if s.gate == "convention"]
    assert len(signoffs) == 3
    assert {s.signed_hash for s in signoffs} == {frozen.sha256}

    final = services.latest(project, "convention_signed")
    assert final is not None and final.final and final.sealed
    assert final.supersedes_id is None and final.gate == "convention"
    pdf = services.stored_bytes(final)
    assert sealing.validate(pdf).ok
    assert rendering.pdf_page_count(pdf) > rendering.pdf_page_count(
        services.stored_bytes(frozen))
    text = pdf_text(pdf, tmp_path)
    for signer in ("president", "chair", "officer"):
        assert people[signer].full_name in text
    assert frozen.sha256 in text.replace(" ", "")
    assert project.reference in text
    sealed_events = list(AuditEvent.query.filter_by(action="document.sealed",
                                                    project_id=project.id))
    assert len(sealed_events) == 1


def test_gate_without_convention_signoffs_produces_nothing(project, president):
    services.freeze_convention(project, None)
    document_hooks.gate_completed(project, "endorsement", president)
    assert services.latest(project, "convention_signed") is None


def test_final_convention_made_from_signoff_rows(project, president, chair, officer, tmp_path):
    from tadafur.extensions import db

    frozen = services.freeze_convention(project, None)
    for party, user in (("commune", president), ("association", chair),
                        ("programme", officer)):
        db.session.add(SignOff(project_id=project.id, gate="convention", round=7, party=party,
                               user_id=user.id, decision="approve", comment=f"ok {party}",
                               subject="document:convention", signed_hash=frozen.sha256))
    db.session.flush()
    document_hooks.gate_completed(project, "convention", officer)
    final = services.latest(project, "convention_signed")
    result = services.verify_upload(services.stored_bytes(final))
    assert result.authentic and result.seal.ok
    assert {s.party for s in result.signoffs} == {"commune", "association", "programme"}
    text = pdf_text(services.stored_bytes(final), tmp_path)
    assert "ok association" in text


def test_render_failure_on_entering_signature_stops_the_transition(
        commune, association, people, monkeypatch):
    from tadafur.extensions import db
    from tadafur.workflow.services import WorkflowError

    project = build_project(commune, association, people["agent"])
    to_state(project, "decision", **people)

    def broken(self, html):
        raise rendering.RenderError("boom")

    monkeypatch.setattr(rendering.Pipeline, "render", broken)
    with pytest.raises(WorkflowError):
        from tadafur.workflow.services import fire

        fire(people["officer"], project, "prepare_convention")
    assert services.documents_of(project) == []
    db.session.rollback()  # what the request does with a refused action
    assert project.state == "decision"
    assert services.documents_of(project) == []
