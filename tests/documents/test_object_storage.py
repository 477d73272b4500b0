"""A sealed document with object storage, end to end: produced into the bucket (nothing on
the local disk), downloaded with the same response as from the directory, verified on the
public page; a changed object is refused, an unreachable store is a 503, not a 410."""

from __future__ import annotations

import io
from pathlib import Path

from tadafur.documents import services
from tadafur.extensions import db
from tests.documents.conftest import seal_convention
from tests.factories import login


def test_sealed_document_in_the_bucket_downloads_and_verifies(
        app, client, s3_storage, project, party_member, president, chair, officer):
    local = Path(app.config["INSTANCE_DOCUMENTS"])
    on_disk = set(local.rglob("*.pdf"))
    final = seal_convention(project, president, chair, officer)
    assert final.sealed
    assert f"tadafur/documents/{final.storage_key}" in s3_storage.names()
    assert set(local.rglob("*.pdf")) == on_disk

    login(client, party_member)
    response = client.get(f"/documents/{final.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == s3_storage.read("documents", final.storage_key)
    assert response.headers["ETag"] == f'"{final.sha256}"'
    assert response.headers["Content-Disposition"] == f'attachment; filename="{final.filename}"'

    html = client.post("/verify", data={"document": (io.BytesIO(response.data), "copy.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-authentic="true"' in html and final.sha256 in html
    assert "Tadafur platform (development)" in html  # the seal, validated

    s3_storage.replace("documents", final.storage_key, response.data + b"\n% changed")
    assert client.get(f"/documents/{final.id}/download").status_code == 410
    s3_storage.remove("documents", final.storage_key)
    assert client.get(f"/documents/{final.id}/download").status_code == 410


def test_an_unreachable_store_is_a_503_not_a_lost_document(
        app, client, s3_storage, project, party_member, monkeypatch):
    document = services.produce(project, "convention", None, "fr")
    db.session.commit()
    login(client, party_member)
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", "http://127.0.0.1:9")
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
