"""Evidence files with object storage, end to end: uploaded into the bucket (nothing on the
local disk), downloaded with the same headers as from the directory, included in the
auditors' evidence package; a changed object is refused (409), a lost one is a 404."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tests.factories import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _key(attachment: Attachment) -> str:
    return f"{attachment.stored_name[:2]}/{attachment.stored_name}"


def test_evidence_in_the_bucket_uploads_and_downloads(app, client, s3_storage, running, chair,
                                                      officer):
    local = Path(app.config["ATTACHMENTS_DIR"])
    on_disk = {p for p in local.rglob("*") if p.is_file()}
    login(client, chair)
    response = client.post(f"/projects/{running.id}/execution/attachments", data={
        "attachment-file": (io.BytesIO(PNG), "atelier.png"), "attachment-activity_id": "0"},
        content_type="multipart/form-data")
    assert response.status_code == 303
    attachment = db.session.scalar(select(Attachment).where(Attachment.project_id == running.id))
    assert s3_storage.names() == [f"tadafur/attachments/{_key(attachment)}"]
    head = s3_storage.client.head_object(Bucket=s3_storage.name,
                                         Key=s3_storage.key("attachments", _key(attachment)))
    assert head["ContentType"] == "image/png"
    assert {p for p in local.rglob("*") if p.is_file()} == on_disk

    client.post("/logout")
    login(client, officer)
    url = f"/projects/{running.id}/attachments/{attachment.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="atelier.png"')
    package = client.get(f"/audit/projects/{running.id}/evidence.zip")
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert f"attachments/{attachment.id:06d}-atelier.png" in names

    s3_storage.replace("attachments", _key(attachment), PNG + b"tampered")
    response = client.get(url)
    assert response.status_code == 409 and PNG not in response.data
    s3_storage.remove("attachments", _key(attachment))
    assert client.get(url).status_code == 404
