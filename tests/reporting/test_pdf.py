"""The reports as PDFs: registered and sealed, their text read back with pdftotext (the
indicator table's figures, the scores), figures kept in order in Arabic (pdftotext -bbox),
and the final and evaluation reports bound to their gates' sign-offs."""

from __future__ import annotations

import pytest

from tadafur.documents import services as documents
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tadafur.reporting import sealed, services
from tadafur.workflow import services as workflow
from tests.documents.conftest import first_page_png, pdf_text, pdf_words, printed_left_to_right
from tests.factories import PASSWORD, login
from tests.reporting.conftest import FINAL, Q1, Q2, scores, validate_all, write_report

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs


def _validated_pdf(running, member, agent, officer, period=Q1) -> bytes:
    report = write_report(member, running, period)
    services.submit_report(member, report)
    validate_all(report, agent, officer)
    document = db.session.get(RegisteredDocument, report.document_id)
    assert document.sealed and documents.verify_reference(document.code).authentic
    return documents.stored_bytes(document)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_monitoring_report_prints_the_indicator_table(
        app, running, member, agent, officer, tmp_path, language, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_REPORT_LANGUAGE", language)
    _validated_pdf(running, member, agent, officer, Q1)
    pdf = _validated_pdf(running, member, agent, officer, Q2)
    text = pdf_text(pdf, tmp_path)
    # Q2: 44 trained in the period, 74 to date (61,7 % of 120), 43 women, 58 youth;
    # the satisfaction rate measured at 72 against a target of 80
    for figure in ("44", "74", "61,7 %", "43", "58", "72", "80", "120"):
        assert figure in text, (figure, text)
    assert "Jeunes formés" in text and "Taux de satisfaction" in text
    first_page_png(pdf, f"monitoring-report-{language}", tmp_path)
    if language == "fr":
        assert "Rapport de suivi" in text or "Monitoring report" in text
    else:
        words = pdf_words(pdf, tmp_path)
        # "61,7 %" stays one left-to-right run in the Arabic table
        assert printed_left_to_right(words, ["61,7", "%"]), words[:40]


def test_the_final_and_evaluation_reports_bind_the_gates(
        client, running, member, agent, president, chair, officer, reviewer, tmp_path):
    report = write_report(member, running, Q1)
    services.submit_report(member, report)
    validate_all(report, agent, officer)
    for activity in running.activities:
        activity.status = "done"
    workflow.fire(agent, running, "complete")
    services.save_final_report(member, running, FINAL)
    workflow.fire(member, running, "submit_final_report")
    final = documents.latest(running, "final_report")
    assert final is not None and final.sealed
    text = pdf_text(documents.stored_bytes(final), tmp_path)
    first_page_png(documents.stored_bytes(final), "final-report-ar", tmp_path)
    # budget categories and funders in the document's language (not the submitter's)
    for needle in ("Toutes les activités ont été réalisées.", "12.345,50", "Jeunes formés",
                   "Clôture approuvée.", "منحة البرنامج",
                   "annulées d'un commun"):  # the financial closure's justification
        assert needle in text, (needle, text)
    db.session.commit()
    login(client, reviewer)
    tab = client.get(f"/projects/{running.id}?tab=reports").get_data(as_text=True)
    assert 'id="final-results"' in tab and "12,345.50" in tab  # frozen figures, in the page
    workflow.fire(agent, running, "signoff:report_validation", password=PASSWORD)
    # A copy in another language, downloaded while the report is under signature (the
    # Documents tab registers it), is not what the parties sign: the frozen report stays the
    # gate's subject, and the report is sealed with both sign-offs.
    copy = sealed.produce_copy(running, "final_report", reviewer, "fr")
    assert copy.language == "fr" and not copy.frozen
    workflow.fire(officer, running, "signoff:report_validation", password=PASSWORD)
    assert running.state == "evaluation"
    bound = [s for s in workflow.signoffs(running) if s.gate == "report_validation"]
    assert {s.signed_hash for s in bound} == {final.sha256}
    assert len(documents.verify_reference(final.code).signoffs) == 2
    assert documents.latest(running, "final_report").sealed
    assert documents.latest(running, "final_report").gate == "report_validation"

    services.save_scores(agent, running, "commune", scores(2))
    services.save_scores(member, running, "association", scores(4))
    services.save_scores(officer, running, "programme", scores(3, impact_score="1"))
    services.save_participation(officer, running, {"women_participants": "58",
                                                   "youth_participants": "83"})
    workflow.fire(officer, running, "submit_evaluation")
    evaluation = documents.latest(running, "evaluation_report")
    pdf = documents.stored_bytes(evaluation)
    text = pdf_text(pdf, tmp_path)
    assert "Justification impact" in text and "58" in text and "83" in text
    words = pdf_words(pdf, tmp_path)
    # the consolidated row of impact: commune 2, association 4, programme 1, average 2,3
    assert printed_left_to_right(words, ["2", "4", "1", "2,3"]) or \
        printed_left_to_right(words, ["2,3", "1", "4", "2"]), words[:60]
    first_page_png(pdf, "evaluation-report-ar", tmp_path)
    for user in (president, chair, officer):
        workflow.fire(user, running, "signoff:joint_evaluation", password=PASSWORD)
        if user is president:
            sealed.produce_copy(running, "evaluation_report", reviewer, "fr")
    assert running.state == "closed"
    assert documents.latest(running, "evaluation_report").gate == "joint_evaluation"
    signed = {s.signed_hash for s in workflow.signoffs(running) if s.gate == "joint_evaluation"}
    assert signed == {evaluation.sha256}
