"""The documents tab, downloads (authorization), generating, and the public verify page."""

from __future__ import annotations

import io

import pytest

from tadafur.documents import rendering, services
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tests.documents.conftest import seal_convention
from tests.factories import login


def _document(project, kind="convention", language="fr") -> RegisteredDocument:
    document = services.produce(project, kind, None, language)
    db.session.commit()
    return document


def test_party_downloads_the_stored_bytes(client, project, party_member):
    document = _document(project)
    login(client, party_member)
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == services.stored_bytes(document)
    assert project.reference in response.headers["Content-Disposition"]


def test_outsider_gets_403_on_download(client, project, outsider_member, outsider_agent):
    document = _document(project)
    for outsider in (outsider_member, outsider_agent):
        login(client, outsider)
        assert client.get(f"/documents/{document.id}/download").status_code == 403
        client.post("/logout")


def test_anonymous_download_goes_to_login(client, project):
    document = _document(project)
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_reviewer_reads_but_cannot_generate(client, project, reviewer):
    document = _document(project)
    login(client, reviewer)
    assert client.get(f"/documents/{document.id}/download").status_code == 200
    response = client.post(f"/projects/{project.id}/documents",
                           data={"kind": "convention", "language": "ar"})
    assert response.status_code == 403


def test_plain_post_generates_and_redirects(client, project, party_member):
    login(client, party_member)
    response = client.post(f"/projects/{project.id}/documents",
                           data={"kind": "convention", "language": "bilingual"})
    assert response.status_code == 303
    documents = services.documents_of(project)
    assert [(d.kind, d.language, d.version) for d in documents] == [
        ("convention", "bilingual", 1)]
    page = client.get(response.headers["Location"])
    assert documents[0].code in page.get_data(as_text=True)


def test_htmx_generate_returns_the_tab_with_an_indicator(client, project, party_member):
    login(client, party_member)
    response = client.post(f"/projects/{project.id}/documents",
                           data={"kind": "signoff_record", "language": "ar"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="project-documents"' in html and "htmx-indicator" in html
    assert "<html" not in html
    assert services.latest(project, "signoff_record") is not None


def test_bad_choice_is_a_422_and_registers_nothing(client, project, party_member):
    login(client, party_member)
    response = client.post(f"/projects/{project.id}/documents",
                           data={"kind": "convention_signed", "language": "ar"})
    assert response.status_code == 422
    assert services.documents_of(project) == []


@pytest.mark.real_pdfs
def test_failed_render_says_so_and_leaves_nothing(client, project, party_member, monkeypatch):
    def broken(self, html):
        raise rendering.RenderError("boom")

    monkeypatch.setattr(rendering.Pipeline, "render", broken)
    login(client, party_member)
    response = client.post(f"/projects/{project.id}/documents",
                           data={"kind": "convention", "language": "fr"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert services.documents_of(project) == []


def _upload(client, data: bytes):
    return client.post("/verify", data={"document": (io.BytesIO(data), "copy.pdf")},
                       content_type="multipart/form-data")


def test_verify_page_needs_no_login(client):
    assert client.get("/verify").status_code == 200


def test_verify_accepts_the_original_upload(client, project):
    document = _document(project)
    response = _upload(client, services.stored_bytes(document))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-authentic="true"' in html
    assert project.reference in html and document.sha256 in html


def test_verify_reports_a_copy_with_one_changed_byte_as_not_authentic(client, project):
    document = _document(project)
    copy = bytearray(services.stored_bytes(document))
    copy[len(copy) // 2] ^= 0x20
    response = _upload(client, bytes(copy))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-authentic="false"' in html
    assert 'data-authentic="true"' not in html
    assert project.reference not in html


def test_verify_by_code_and_by_hash(client, project):
    document = _document(project)
    by_code = client.get(f"/verify/{document.code}")
    assert 'data-authentic="true"' in by_code.get_data(as_text=True)
    typed = client.post("/verify", data={"reference": document.sha256.upper()})
    assert 'data-authentic="true"' in typed.get_data(as_text=True)
    lower = client.post("/verify", data={"reference": document.code.lower().replace("-", "")})
    assert 'data-authentic="true"' in lower.get_data(as_text=True)
    unknown = client.get("/verify/AAAA-BBBB-CCCC")
    assert 'data-authentic="false"' in unknown.get_data(as_text=True)


def test_verify_without_input_is_a_422(client):
    response = client.post("/verify", data={})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)


def test_verify_reports_the_seal_and_signers_of_a_final_convention(
        client, project, president, chair, officer):
    final = seal_convention(project, president, chair, officer)
    html = _upload(client, services.stored_bytes(final)).get_data(as_text=True)
    assert 'data-authentic="true"' in html
    assert "verify-signoffs" in html
    for user in (president, chair, officer):
        assert user.full_name in html
    assert "Tadafur platform (development)" in html  # the seal's signer, validated


# ---------------------------------------------------------------- size cap and rate limit

def test_verify_refuses_a_file_over_the_size_cap_with_a_clear_message(app, client):
    app.config["VERIFY_MAX_BYTES"] = 1024
    try:
        response = _upload(client, b"%PDF-1.7\n" + b"0" * 2048)
    finally:
        app.config["VERIFY_MAX_BYTES"] = 15 * 1024 * 1024
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)


def test_verify_is_rate_limited_per_client_in_the_database(app, client):
    from sqlalchemy import func, select

    from tadafur.accounts.models import RateEvent

    limit = app.config["VERIFY_MAX_PER_CLIENT"]
    for _ in range(limit):
        assert client.post("/verify", data={"reference": "TDF-NONE"}).status_code == 200
    refused = client.post("/verify", data={"reference": "TDF-NONE"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "Too many verifications" in refused.get_data(as_text=True)
    # The count lives in the database: another app server sees the same limit.
    assert db.session.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.kind == "verify")) == limit
    other_client = app.test_client()
    other_client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other_client.post("/verify", data={"reference": "TDF-NONE"}).status_code == 200


def test_verify_speaks_the_visitors_language_when_limited(app, client):
    app.config["VERIFY_MAX_PER_CLIENT"] = 0
    try:
        client.set_cookie("tadafur_lang", "fr", domain="tadafur.test")
        french = client.post("/verify", data={"reference": "x"}).get_data(as_text=True)
        client.set_cookie("tadafur_lang", "ar", domain="tadafur.test")
        arabic = client.post("/verify", data={"reference": "x"}).get_data(as_text=True)
    finally:
        app.config["VERIFY_MAX_PER_CLIENT"] = 30
    assert "Trop de vérifications" in french
    assert "كثير" in arabic or "عدد" in arabic
