"""One click builds a project's evidence package; a command checks it on its own."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import record
from tadafur.documents.labels import local_minute
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tests.documents.conftest import make_lead_association, make_project, pdf_text, pdf_words
from tests.factories import login

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs


def _project(commune):
    project = make_project(commune, make_lead_association(commune))
    record("project.updated", object_type="project", project=project, summary="budget edited")
    db.session.commit()
    return project


def test_officer_downloads_a_package_that_checks_out(app, client, officer, commune, tmp_path):
    project = _project(commune)
    login(client, officer)
    response = client.get(f"/audit/projects/{project.id}/evidence.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "manifest.json" in names and "manifest.sig" in names
    assert "audit/events.csv" in names
    assert any(n.startswith("documents/audit_extract-") for n in names)
    assert "budget edited" in archive.read("audit/events.csv").decode()
    assert db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.project_id == project.id,
        RegisteredDocument.kind == "audit_extract"))
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "evidence.package_built", AuditEvent.project_id == project.id))
    path = tmp_path / "package.zip"
    path.write_bytes(response.data)
    result = app.test_cli_runner().invoke(args=["evidence", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "authentic" in result.output


def test_a_changed_file_or_manifest_is_caught(app, client, officer, commune, tmp_path):
    project = _project(commune)
    login(client, officer)
    original = zipfile.ZipFile(io.BytesIO(client.get(
        f"/audit/projects/{project.id}/evidence.zip").data))

    def rebuilt(change):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as target:
            for name in original.namelist():
                target.writestr(name, change(name, original.read(name)))
        return buffer.getvalue()

    tampered_csv = rebuilt(lambda n, d: d + b"\n1,x" if n == "audit/events.csv" else d)
    tampered_manifest = rebuilt(lambda n, d: d.replace(b'"size"', b'"size" ')
                                if n == "manifest.json" else d)
    from tadafur.audit.evidence import check_package

    assert "audit/events.csv: content differs from the manifest" in \
        check_package(tampered_csv).problems
    assert any("signature" in p for p in check_package(tampered_manifest).problems)
    assert check_package(b"not a zip").problems == ["not a ZIP archive"]


def test_only_oversight_and_granted_auditors_get_packages(client, agent, member, reviewer,
                                                          commune):
    project = _project(commune)
    for user, status in ((agent, 403), (member, 403), (reviewer, 200)):
        login(client, user)
        assert client.get(f"/audit/projects/{project.id}/evidence.zip").status_code == status
        client.post("/logout")


def test_filtered_events_of_a_project_become_a_registered_pdf_extract(client, officer, commune):
    project = _project(commune)
    login(client, officer)
    page = client.get(f"/audit/?project={project.id}").get_data(as_text=True)
    assert "/audit/extract.pdf?project=" in page
    response = client.get(f"/audit/extract.pdf?project={project.id}&q=budget")
    assert response.status_code == 303
    download = client.get(response.headers["Location"])
    assert download.mimetype == "application/pdf" and download.data.startswith(b"%PDF")
    extract = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.project_id == project.id,
        RegisteredDocument.kind == "audit_extract"))
    assert extract is not None
    assert client.get("/audit/extract.pdf?q=no-such-event-anywhere").status_code == 400


def test_a_projects_extract_names_the_project_once_and_a_programme_extract_on_each_row(
        commune, other_commune):
    """The project's extract has its reference in the heading: its rows do not repeat it
    (three pages fewer for the gallery's bilingual extract); across projects each row says
    which project it is about."""
    from tadafur.audit.evidence import _project_events, extract_sections

    first, second = _project(commune), _project(other_commune)
    events = _project_events(first)
    details = [row[4] for row in extract_sections(first, events)[0]["table"]["rows"]]
    assert details and not any(first.reference in text for text in details)
    both = sorted(events + _project_events(second), key=lambda event: event.seq)
    details = [row[4] for row in extract_sections(None, both)[0]["table"]["rows"]]
    assert any(first.reference in text for text in details)
    assert any(second.reference in text for text in details)


def test_events_across_projects_become_a_programme_wide_extract(client, officer, agent, tmp_path,
                                                                 commune, other_commune):
    from tadafur.documents.services import verify_reference

    first, second = _project(commune), _project(other_commune)
    login(client, officer)
    response = client.get(f"/audit/extract.pdf?region={commune.province.region_id}"
                          "&q=budget&lang=fr")
    assert response.status_code == 303
    extract = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.project_id.is_(None), RegisteredDocument.kind == "audit_extract"))
    assert extract is not None and extract.created_by_id == officer.id
    download = client.get(response.headers["Location"])
    assert download.mimetype == "application/pdf"
    assert extract.filename.startswith("TDF-programme-audit_extract-v1")
    text = pdf_text(download.data, tmp_path)
    assert "Filtre" in text and commune.province.region.name_fr in text  # what it covers
    # the events in words in the extract's language (their stored summary stays in the CSV)
    assert "Proposition modifiée" in text and "project.updated" not in text
    assert first.reference in text and second.reference in text
    assert "budget edited" not in text  # the stored English summary is not printed
    assert verify_reference(extract.code).authentic
    page = client.get(f"/verify/{extract.code}").get_data(as_text=True)
    assert "several projects" in page
    # The author and the programme may download it; a commune agent may not.
    client.post("/logout")
    login(client, agent)
    assert client.get(response.headers["Location"]).status_code == 403
    del first, second


def test_commune_users_get_no_extract_of_another_communes_project(client, outsider_agent,
                                                                  commune):
    project = _project(commune)
    login(client, outsider_agent)
    assert client.get(f"/audit/extract.pdf?project={project.id}").status_code == 403


ADDRESS = "fatima.ezzahra.benjelloun.coordination@femmes-de-demain-afourar.example.org"


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_long_address_wraps_only_after_its_at_sign_dots_and_hyphens(officer, commune, language,
                                                               tmp_path):
    """Issue 15: in the narrow Actor column an address broke inside a word
    ("fatima.ezzahra.benjel" / "loun.coordination@fe")."""
    from tadafur.audit.evidence import _project_events, produce_extract
    from tadafur.documents.services import stored_bytes

    project = make_project(commune, make_lead_association(commune))
    record("project.updated", object_type="project", project=project, actor_name=ADDRESS,
           summary="budget edited")
    db.session.flush()
    document = produce_extract(project, officer, _project_events(project), language)
    words = [w for _page, _x, _y, w in pdf_words(stored_bytes(document), tmp_path)]
    pieces = [w.replace("\u200b", "") for w in words if w.replace("\u200b", "") in ADDRESS
              and len(w) > 3]
    start = next(i for i, w in enumerate(pieces) if ADDRESS.startswith(w))
    found, whole = [], ""
    for piece in pieces[start:]:
        if whole + piece != ADDRESS[:len(whole + piece)]:
            break
        found.append(piece)
        whole += piece
    assert whole == ADDRESS, (whole, pieces)
    assert len(found) > 1  # it did wrap: the column is narrower than the address
    assert all(piece.endswith(("@", ".", "-")) for piece in found[:-1]), found



def test_the_arabic_extract_prints_its_times_addresses_and_hashes_left_to_right(
        officer, commune, tmp_path):
    """Those cells run left to right in the Arabic table (report.html's `ltr` columns): the
    day left of the minute, the address's "@" line above the rest of it, in order."""
    from tadafur.audit.evidence import _project_events, produce_extract
    from tadafur.documents.services import stored_bytes

    project = make_project(commune, make_lead_association(commune))
    record("project.updated", object_type="project", project=project, actor_name=ADDRESS,
           summary="budget edited")
    db.session.flush()
    events = _project_events(project)
    document = produce_extract(project, officer, events, "ar")
    words = pdf_words(stored_bytes(document), tmp_path)
    last = events[-1]
    day, minute = local_minute(last.occurred_at).split("\xa0")
    (day_x, day_y), = [(x, y) for _p, x, y, w in words if w == day][-1:]
    minute_x = next(x for _p, x, y, w in words if w == minute and abs(y - day_y) < 2)
    assert day_x < minute_x, (day, day_x, minute, minute_x)
    hash_words = [w for *_xy, w in words if w == last.hash[:10]]
    assert hash_words, "the hash prints whole, as one word"
    pieces = [(y, x, w.replace("\u200b", "")) for _p, x, y, w in words
              if w.replace("\u200b", "") and w.replace("\u200b", "") in ADDRESS and len(w) > 3]
    assert "".join(w for _y, _x, w in sorted(pieces)) == ADDRESS, sorted(pieces)


INVENTORY_WORDS = {
    "fr": ("Inventaire du dossier de preuves", "Convention de partenariat, version 1 (en français)",
           "Extrait de la piste d'audit",
           "Événements de la piste d'audit (CSV)", "Dernier événement de la piste d'audit",
           "manifest.json"),
    "ar": ("جرد محتويات ملف الإثبات", "اتفاقية الشراكة", "مستخرج من سجل التدقيق",
           "أحداث سجل التدقيق", "CSV", "آخر حدث في سجل التدقيق", "manifest.json"),
}


def _package(client, project, language):
    response = client.get(f"/audit/projects/{project.id}/evidence.zip?lang={language}")
    assert response.status_code == 200
    return response.data, zipfile.ZipFile(io.BytesIO(response.data))


def _inventory_path(archive) -> str:
    import json

    manifest = json.loads(archive.read("manifest.json"))
    path = manifest["inventory"]["path"]
    assert path in {entry["path"] for entry in manifest["files"]}  # covered by the signature
    return path


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_package_opens_on_a_pdf_inventory_in_words(client, officer, commune, language,
                                                       tmp_path):
    """A lawyer reads what each file is (a document by its kind's label, version and
    language, the events CSV), its size and its fingerprint: never the manifest's codes."""
    import json

    from tadafur.documents.services import produce, verify_reference

    project = _project(commune)
    produce(project, "convention", None, "fr")
    db.session.commit()
    login(client, officer)
    _data, archive = _package(client, project, language)
    path = _inventory_path(archive)
    assert path.startswith("documents/evidence_manifest-")
    inventory = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.project_id == project.id,
        RegisteredDocument.kind == "evidence_manifest"))
    assert inventory is not None and inventory.language == language
    assert verify_reference(inventory.code).authentic  # registered, verifiable
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["inventory"]["code"] == inventory.code
    text = pdf_text(archive.read(path), tmp_path)
    squeezed = text.replace(" ", "")  # pdftotext splits some Arabic words ("محتو يات")
    for words in INVENTORY_WORDS[language]:
        assert words.replace(" ", "") in squeezed, words
    for code in ("convention-fr", "audit_extract", "convention_signed", "evidence_manifest",
                 "audit/events.csv", "documents/"):
        assert code not in text, code
    assert project.reference in text
    assert (commune.name_ar if language == "ar" else commune.name_fr).replace(" ", "") in squeezed
    head = manifest["audit_chain_head"]
    assert head["hash"] in squeezed
    assert str(head["seq"]) in text
    assert officer.full_name in text
    # one row per file but itself, each with the start of its SHA-256
    listed = [entry for entry in manifest["files"] if entry["path"] != path]
    for entry in listed:
        assert entry["sha256"][:16] in text, entry["path"]
    words = pdf_words(archive.read(path), tmp_path)
    assert all(0 < x < 595 for _page, x, _y, _w in words)  # nothing printed off the page


def test_the_reader_language_or_lang_chooses_the_inventorys_language(client, officer, commune,
                                                                    tmp_path):
    """?lang= chooses; without it the reader's language does (Arabic for an Arabic reader,
    French otherwise), as for the audit extract."""
    project = _project(commune)
    login(client, officer)
    _data, archive = _package(client, project, "bilingual")
    text = pdf_text(archive.read(_inventory_path(archive)), tmp_path)
    assert "Inventaire du dossier de preuves" in text
    assert "جردمحتوياتملفالإثبات" in text.replace(" ", "")
    _data, archive = _package(client, project, "xx")  # unknown: French, as the extract
    assert "-fr-" in _inventory_path(archive)
    officer.locale = "ar"  # the reader's saved language
    db.session.commit()
    archive = zipfile.ZipFile(io.BytesIO(client.get(
        f"/audit/projects/{project.id}/evidence.zip").data))
    assert "-ar-" in _inventory_path(archive)


def test_a_changed_pdf_inventory_is_caught(app, client, officer, commune, tmp_path):
    from tadafur.audit.evidence import check_package

    project = _project(commune)
    login(client, officer)
    data, original = _package(client, project, "fr")
    path = _inventory_path(original)
    assert check_package(data).ok, check_package(data).problems

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in original.namelist():
            content = original.read(name)
            target.writestr(name, content.replace(b"%%EOF", b"%%EOF\n% edited")
                            if name == path else content)
    tampered = buffer.getvalue()
    assert f"{path}: content differs from the manifest (the PDF inventory)" in \
        check_package(tampered).problems
    package = tmp_path / "tampered.zip"
    package.write_bytes(tampered)
    result = app.test_cli_runner().invoke(args=["evidence", "check", str(package)])
    assert result.exit_code == 1
    assert "the PDF inventory" in result.output
