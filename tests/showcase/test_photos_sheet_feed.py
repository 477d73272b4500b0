"""Public photos (consent, metadata stripped, web size), the project sheet (registered,
sealed, verifiable, one page) and the Atom feed."""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from sqlalchemy import select

from tadafur.documents import sealing, services as documents
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.rendering import pdf_page_count
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.showcase.models import PublicPhoto
from tests.factories import login


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (3000, 2000), (30, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (33.0, 35.0, 0.0), 3: "W", 4: (7.0, 36.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def evidence(closed_project, member):
    closed_project.state = "in_execution"
    attachment = execution.store_attachment(member, closed_project, _photo_with_gps(),
                                            "atelier.jpg", caption="Atelier")
    closed_project.state = "closed"
    db.session.flush()
    return attachment


def test_the_association_publishes_a_photo_without_its_metadata(client, closed_project,
                                                                 evidence, member):
    login(client, member)
    refused = client.post(f"/projects/{closed_project.id}/public-photos",
                          data={"attachment_id": evidence.id})
    assert refused.status_code == 422 and "agreed" in refused.get_data(as_text=True)
    assert db.session.scalar(select(PublicPhoto.id)) is None
    done = client.post(f"/projects/{closed_project.id}/public-photos",
                       data={"attachment_id": evidence.id, "consent": "y"})
    assert done.status_code == 303
    photo = db.session.scalar(select(PublicPhoto))
    client.post("/logout")
    served = client.get(f"/showcase/photos/{photo.id}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert max(image.size) == 1280
    assert not image.getexif() and "exif" not in image.info
    assert b"CameraMaker" not in served.data
    page = client.get(f"/showcase/projects/{closed_project.id}").get_data(as_text=True)
    assert f"/showcase/photos/{photo.id}.jpg" in page


def test_a_photo_of_an_unpublished_project_is_not_served(client, closed_project, evidence,
                                                          member):
    from tadafur.showcase import photos

    photo = photos.publish(member, closed_project, evidence.id, True)
    closed_project.publication_approved = False
    db.session.flush()
    assert client.get(f"/showcase/photos/{photo.id}.jpg").status_code == 404


def test_a_commune_user_cannot_choose_the_public_photos(client, closed_project, agent):
    login(client, agent)
    assert client.get(f"/projects/{closed_project.id}/public-photos").status_code == 403


@pytest.mark.parametrize("language", ["ar", "fr", "bilingual"])
def test_the_sheet_is_one_registered_verifiable_page(client, closed_project, language):
    response = client.get(f"/showcase/projects/{closed_project.id}/sheet.pdf?lang={language}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_page_count(response.data) == 1
    document = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.kind == "project_sheet", RegisteredDocument.language == language))
    assert document.project_id == closed_project.id
    verified = client.get(f"/verify/{document.code}").get_data(as_text=True)
    assert "authentic" in verified.lower()
    again = client.get(f"/showcase/projects/{closed_project.id}/sheet.pdf?lang={language}")
    assert again.data == response.data  # the same registered file while nothing changed


def test_the_downloaded_sheet_carries_the_platform_seal_and_verifies(client, closed_project):
    """The registered bytes are the sealed bytes: the download validates against the
    platform's certificate, and both ways of verifying (upload, code) find it authentic."""
    response = client.get(f"/showcase/projects/{closed_project.id}/sheet.pdf?lang=ar")
    status = sealing.validate(response.data)
    assert status.ok and status.signer == "Tadafur platform (development)"
    document = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.kind == "project_sheet", RegisteredDocument.language == "ar"))
    assert document.sealed and documents.stored_bytes(document) == response.data
    uploaded = client.post("/verify", data={"document": (io.BytesIO(response.data), "f.pdf")},
                           content_type="multipart/form-data").get_data(as_text=True)
    by_code = client.get(f"/verify/{document.code}").get_data(as_text=True)
    for html in (uploaded, by_code):
        assert 'data-authentic="true"' in html and document.sha256 in html
        assert "Tadafur platform (development)" in html  # the seal, validated
    altered = bytearray(response.data)
    altered[len(altered) // 3] ^= 0x01
    assert not sealing.validate(bytes(altered)).ok


def test_a_sheet_registered_before_sealing_is_replaced_by_a_sealed_one(client, closed_project):
    """Sheets registered unsealed (before the sheet was sealed) are not served again."""
    old = documents.produce(closed_project, "project_sheet", None, "fr", sealed=False)
    db.session.flush()
    assert not old.sealed
    response = client.get(f"/showcase/projects/{closed_project.id}/sheet.pdf?lang=fr")
    assert response.headers["ETag"] != f'"{old.sha256}"'
    assert sealing.validate(response.data).ok
    latest = db.session.scalar(select(RegisteredDocument).where(
        RegisteredDocument.kind == "project_sheet", RegisteredDocument.language == "fr")
        .order_by(RegisteredDocument.version.desc()).limit(1))
    assert latest.sealed and latest.supersedes_id == old.id


@pytest.mark.real_pdfs
def test_the_sheet_names_no_person(client, closed_project, agent, member, tmp_path):
    data = client.get(f"/showcase/projects/{closed_project.id}/sheet.pdf?lang=fr").data
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Personnes formées" in text
    for person in (agent, member):
        assert person.full_name not in text and person.email not in text


def test_the_feed_lists_published_and_closed_projects(client, closed_project, officer):
    from tadafur.oversight.services import set_publication

    closed_project.publication_approved = False
    set_publication(closed_project, True)
    db.session.flush()
    feed = client.get("/showcase/feed.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.findtext("a:id", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert f"tag:tadafur,2026:{closed_project.reference}:closed" in ids
    assert f"tag:tadafur,2026:{closed_project.reference}:published" in ids


def test_a_public_photo_gone_from_the_store_is_a_404_not_a_server_error(
        client, closed_project, evidence, member):
    from tadafur.execution import attachments
    from tadafur.showcase import photos

    photo = photos.publish(member, closed_project, evidence.id, True)
    db.session.flush()
    assert client.get(f"/showcase/photos/{photo.id}.jpg").status_code == 200
    attachments.discard(photo.stored_name)
    assert client.get(f"/showcase/photos/{photo.id}.jpg").status_code == 404
