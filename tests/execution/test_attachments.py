"""Evidence files: accepted by content (PDF, JPEG, PNG) and size, stored under random names
outside the static files, downloaded only by those who may see the project, every step
audited; an attack leaves no row and no file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.execution import attachments as files
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tests.factories import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _stored_files(app) -> set[Path]:
    return {p for p in Path(app.config["ATTACHMENTS_DIR"]).rglob("*") if p.is_file()}


def _upload(client, project, data: bytes, name: str, **fields):
    form = {"attachment-file": (io.BytesIO(data), name), "attachment-activity_id": "0",
            **{f"attachment-{k}": v for k, v in fields.items()}}
    return client.post(f"/projects/{project.id}/execution/attachments", data=form,
                       content_type="multipart/form-data")


def _events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


@pytest.mark.parametrize("data, name, content_type, shown", [
    (PDF, "rapport.pdf", "application/pdf", "rapport.pdf"),
    (PNG, "photo atelier.PNG", "image/png", "photo atelier.png"),
    (JPEG, "صورة.jpeg", "image/jpeg", "صورة.jpeg"),
    (PNG, "photo.pdf", "image/png", "photo.pdf.png"),  # the name follows the content
])
def test_upload_is_stored_under_a_random_name(app, client, running, chair, data, name,
                                              content_type, shown):
    login(client, chair)
    before = _stored_files(app)
    response = _upload(client, running, data, name, caption="Atelier du 3 mars")
    assert response.status_code == 303
    attachment = db.session.scalar(select(Attachment))
    assert (attachment.content_type, attachment.display_name) == (content_type, shown)
    assert attachment.size == len(data) and attachment.sha256 == files.sha256_of(data)
    new = _stored_files(app) - before
    assert [p.name for p in new] == [attachment.stored_name]
    assert name not in str(next(iter(new))) and "static" not in str(next(iter(new)))
    assert next(iter(new)).read_bytes() == data
    assert _events("attachment.uploaded") == 1


@pytest.mark.parametrize("data, name", [
    (b"#!/bin/sh\nrm -rf /\n", "rapport.pdf"),
    (b"<script>alert(1)</script>", "photo.jpg"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "rapport.pdf"),
    (b"MZ\x90\x00\x03" + b"\x00" * 64, "photo.png"),
    (b"PK\x03\x04" + b"\x00" * 64, "document.pdf"),
    (b"", "vide.pdf"),
])
def test_wrong_content_is_refused_and_nothing_stored(app, client, running, agent, data, name):
    login(client, agent)
    before = _stored_files(app)
    response = _upload(client, running, data, name)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="attachment-file-error"' in body
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert _stored_files(app) == before
    assert _events("attachment.uploaded") == 0


def test_file_over_the_cap_is_refused(app, client, running, agent, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    login(client, agent)
    before = _stored_files(app)
    response = _upload(client, running, PDF + b"0" * 2000, "gros.pdf")
    assert response.status_code == 422
    assert "too large: at most 1 KB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert _stored_files(app) == before


def test_request_over_max_content_length_gets_a_clear_message(app, client, running, agent,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    login(client, agent)
    before = _stored_files(app)
    response = _upload(client, running, PDF + b"0" * 10_000, "enorme.pdf")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "too large: at most 4 KB. Nothing was saved." in body and "Traceback" not in body
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert _stored_files(app) == before


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("/var/www/static/evil.pdf", "evil.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    (".htaccess.pdf", "htaccess.pdf"),
    ("rapport\u202egpj.pdf", "rapportgpj.pdf"),
    ("a\x00b.pdf", "ab.pdf"),
])
def test_paths_in_the_name_are_reduced_to_a_base_name(app, client, running, chair, name,
                                                      shown):
    login(client, chair)
    before = _stored_files(app)
    assert _upload(client, running, PDF, name).status_code == 303
    attachment = db.session.scalar(select(Attachment))
    assert attachment.display_name == shown
    new = _stored_files(app) - before
    assert len(new) == 1
    assert next(iter(new)).resolve().is_relative_to(Path(app.config["ATTACHMENTS_DIR"]))


@pytest.mark.parametrize("name, shown", [
    ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
    ("C:\\x\\y.pdf", "y.pdf"),
    ("C:\\Users\\a/../b\\photo.jpg", "photo.jpg.pdf"),  # the content decides
    ("...", "evidence.pdf"),
    ("", "evidence.pdf"),
])
def test_windows_paths_are_reduced_to_a_base_name(name, shown):
    """(Browsers send base names; HTTP parsers unescape backslashes: checked directly.)"""
    assert files.display_name(name, files.KINDS[0]) == shown


@pytest.mark.parametrize("name", ["..\\..\\x.pdf", "C:\\x\\y.pdf"])
def test_backslash_names_over_http_stay_base_names(app, client, running, chair, name):
    login(client, chair)
    assert _upload(client, running, PDF, name).status_code == 303
    shown = db.session.scalar(select(Attachment)).display_name
    assert "\\" not in shown and "/" not in shown and not shown.startswith(".")


def test_display_name_is_capped():
    assert len(files.display_name("x" * 500 + ".pdf", files.KINDS[0])) <= files.DISPLAY_MAX


def _stored(client, project, user, name="preuve.pdf", data=PDF) -> Attachment:
    login(client, user)
    assert _upload(client, project, data, name).status_code == 303
    client.post("/logout")
    return db.session.scalar(select(Attachment).order_by(Attachment.id.desc()))


def test_download_by_those_who_see_the_project(client, running, chair, reviewer, officer,
                                              agent):
    attachment = _stored(client, running, chair, "rapport d'activité.pdf")
    url = f"/projects/{running.id}/attachments/{attachment.id}"
    for user in (reviewer, officer, agent, chair):
        login(client, user)
        response = client.get(url)
        assert response.status_code == 200, user.email
        assert response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''rapport%20d%27activit%C3%A9.pdf" in disposition
        client.post("/logout")
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "attachment.downloaded")).all()
    assert [e.actor_id for e in events] == [reviewer.id, officer.id, agent.id, chair.id]
    assert all(e.project_id == running.id for e in events)


def test_outsiders_cannot_download(client, running, chair, outsider_agent, outsider_member):
    attachment = _stored(client, running, chair)
    for user in (outsider_agent, outsider_member):
        login(client, user)
        assert client.get(
            f"/projects/{running.id}/attachments/{attachment.id}").status_code == 403
        client.post("/logout")
    assert client.get(f"/projects/{running.id}/attachments/{attachment.id}").status_code in (
        302, 401)
    assert _events("attachment.downloaded") == 0


def test_attachment_of_another_project_is_not_found(client, running, chair, agent, commune,
                                                    association):
    from tests.execution.conftest import in_execution

    other = in_execution(agent, commune, association)
    attachment = _stored(client, running, chair)
    login(client, agent)
    assert client.get(f"/projects/{other.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/projects/{running.id}/attachments/99999").status_code == 404


def test_a_damaged_file_is_not_served(app, client, running, chair, officer):
    attachment = _stored(client, running, chair)
    path = next(p for p in _stored_files(app) if p.name == attachment.stored_name)
    path.write_bytes(PDF + b"tampered")
    login(client, officer)
    response = client.get(f"/projects/{running.id}/attachments/{attachment.id}")
    assert response.status_code == 409 and response.data != PDF + b"tampered"


def test_reviewer_cannot_upload(client, running, reviewer):
    login(client, reviewer)
    assert _upload(client, running, PDF, "x.pdf").status_code == 403


def test_evidence_package_includes_the_attachments(app, client, running, chair, officer,
                                                   tmp_path):
    import json
    import zipfile

    from tadafur.audit.evidence import check_package

    first = _stored(client, running, chair, "rapport.pdf", PDF)
    second = _stored(client, running, chair, "photo.png", PNG)
    login(client, officer)
    response = client.get(f"/audit/projects/{running.id}/evidence.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    paths = [f"attachments/{first.id:06d}-rapport.pdf", f"attachments/{second.id:06d}-photo.png"]
    assert [a["path"] for a in manifest["attachments"]] == paths
    for path, data, attachment in zip(paths, (PDF, PNG), (first, second), strict=True):
        assert archive.read(path) == data
        assert listed[path] == files.sha256_of(data) == attachment.sha256
    assert check_package(response.data).ok
    # An attachment swapped after upload, even with a re-computed file checksum, is caught.
    manifest["files"] = [{**e, "sha256": files.sha256_of(b"%PDF-forged")}
                         if e["path"] == paths[0] else e for e in manifest["files"]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as forged:
        for name in archive.namelist():
            data = archive.read(name)
            forged.writestr(name, {paths[0]: b"%PDF-forged",
                                   "manifest.json": json.dumps(manifest).encode()}.get(
                                       name, data))
    problems = check_package(buffer.getvalue()).problems
    assert any("signature" in p for p in problems)
    assert any(paths[0] in p for p in problems)


def test_htmx_request_over_max_content_length_gets_the_message_beside_the_field(
        app, client, running, agent, outsider_agent, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    login(client, agent)
    form = {"attachment-file": (io.BytesIO(PDF + b"0" * 10_000), "enorme.pdf")}
    response = client.post(f"/projects/{running.id}/execution/attachments", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="attachment-file-error"' in body and "at most 4 KB" in body
    client.post("/logout")
    login(client, outsider_agent)  # no tab for someone who may not upload there
    form = {"attachment-file": (io.BytesIO(PDF + b"0" * 10_000), "enorme.pdf")}
    response = client.post(f"/projects/{running.id}/execution/attachments", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code in (403, 413)
    assert "attachment-form" not in response.get_data(as_text=True)
