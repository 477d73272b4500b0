"""What a lawyer checks on the printed convention: the public address in its QR code and
footer, the signatories' titles by civility, the deliberation, the closing line, amounts in
words, elision; and the sign-off record naming the document and version signed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.documents import services
from tadafur.extensions import db
from tadafur.workflow.models import TransitionRecord
from tests.documents.conftest import pdf_text

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs


def signatory(project, role: Role) -> User:
    column = (Membership.commune_id if role == Role.COMMUNE_SIGNATORY
              else Membership.association_id)
    value = (project.commune_id if role == Role.COMMUNE_SIGNATORY
             else project.lead_association_id)
    return db.session.scalar(select(User).join(Membership).where(
        Membership.role == role.value, column == value))


def test_qr_code_and_footer_name_the_public_address(app, project, tmp_path):
    app.config["PUBLIC_BASE_URL"] = "https://tadafur.example.ma/"
    try:
        document = services.produce(project, "convention", None, "fr")
        text = pdf_text(services.stored_bytes(document), tmp_path)
        assert f"https://tadafur.example.ma/verify/{document.code}" in text
        assert "tadafur.test" not in text
        from tadafur.workflow.audience import project_link

        assert project_link(project) == f"https://tadafur.example.ma/projects/{project.id}"
    finally:
        app.config["PUBLIC_BASE_URL"] = None


def test_convention_addresses_women_as_presidente_and_states_the_deliberation(
        project, tmp_path):
    signatory(project, Role.COMMUNE_SIGNATORY).civility = "f"
    db.session.add(TransitionRecord(
        project_id=project.id, seq=99, trigger="record_deliberation",
        from_state="council_deliberation", to_state="governor_visa", workflow_version=1,
        data_json=json.dumps({"session_number": "07/2026", "session_date": "2026-03-05"})))
    db.session.flush()
    fr = " ".join(pdf_text(services.stored_bytes(
        services.produce(project, "convention", None, "fr")), tmp_path).split())
    assert "représentée par la Présidente de son conseil" in fr
    assert "la Présidente du conseil communal" in fr  # her signature block
    assert "représentée par son Président" in fr  # the association's signatory: a man
    assert "délibération n° 07/2026" in fr and "5 mars 2026" in fr
    assert "en quatre (4) exemplaires originaux" in fr
    assert "quatre cent quarante-cinq mille dirhams et cinquante centimes" in fr
    assert "durée de 12 mois" in fr
    ar = " ".join(pdf_text(services.stored_bytes(
        services.produce(project, "convention", None, "ar")), tmp_path).split())
    packed = ar.replace(" ", "")  # pdftotext drops the space between figures and Arabic
    assert "ويمثلهارئيسةمجلسها" in packed and "رئيسةالمجلسالجماعي" in packed
    assert "لمدة12شهرا" in packed and "نونبر" in ar and "نوفمبر" not in ar


def test_signoff_record_names_the_document_and_version_in_each_language(project, tmp_path):
    document = services.produce(project, "signoff_record", None, "bilingual")
    text = " ".join(pdf_text(services.stored_bytes(document), tmp_path).split())
    assert "Procès-verbal des visas" in text and "محضر" in text
