"""The storage backends: the S3 one against a moto server behaves as the local directory does
(write once, the hash re-checked on reading, a missing object is the store's error), and the
settings pick the backend."""

from __future__ import annotations

import pytest
from flask import Flask

from tadafur.core import backends
from tadafur.core.s3 import S3Backend, make_client
from tadafur.core.storage import LocalBackend, MissingObject, StorageUnavailable, StoreError
from tadafur.documents.store import DocumentStore, document_store, sha256_of
from tadafur.execution import attachments

PDF = b"%PDF-1.7\n% object storage\n%%EOF\n"


def test_the_settings_pick_the_backend(app, s3_storage, monkeypatch):
    chosen = backends.backend(backends.DOCUMENTS)
    assert isinstance(chosen, S3Backend)
    assert (chosen.bucket, chosen.prefix) == (s3_storage.name, "tadafur/documents/")
    assert backends.backend(backends.ATTACHMENTS).prefix == "tadafur/attachments/"
    monkeypatch.setitem(app.config, "STORAGE", "local")
    local = backends.backend(backends.ATTACHMENTS)
    assert isinstance(local, LocalBackend) and str(local.root) == app.config["ATTACHMENTS_DIR"]


def test_a_document_is_stored_in_the_bucket_under_its_hash(s3_storage):
    store = document_store()
    stored = store.put(PDF)
    assert stored.created and stored.key == f"{stored.sha256[:2]}/{stored.sha256}.pdf"
    assert s3_storage.names() == [f"tadafur/documents/{stored.key}"]
    head = s3_storage.client.head_object(Bucket=s3_storage.name,
                                         Key=s3_storage.key("documents", stored.key))
    assert head["ContentType"] == "application/pdf"
    assert store.get(stored.key) == PDF and store.exists(stored.key)
    again = store.put(PDF)
    assert not again.created and again.key == stored.key


def test_a_changed_object_is_refused_on_reading(s3_storage):
    store = document_store()
    stored = store.put(PDF)
    s3_storage.replace("documents", stored.key, PDF + b"tampered")
    with pytest.raises(StoreError, match="does not match its hash"):
        store.get(stored.key)
    with pytest.raises(StoreError):  # storing the same bytes again checks the object too
        store.put(PDF)


def test_a_missing_object_is_the_stores_error(s3_storage):
    store = document_store()
    key = f"{sha256_of(b'never')[:2]}/{sha256_of(b'never')}.pdf"
    with pytest.raises(StoreError):
        store.get(key)
    with pytest.raises(MissingObject):
        backends.backend(backends.ATTACHMENTS).get("ab/" + "ab" * 16)
    assert not store.exists(key)


def test_an_existing_object_is_never_replaced(s3_storage, monkeypatch):
    backend = backends.backend(backends.ATTACHMENTS)
    key = "0f/" + "0f" * 16
    assert backend.put_new(key, b"first", "image/png")
    assert not backend.put_new(key, b"second", "image/png")
    # Two servers racing: both saw no object; the conditional PUT stops the second.
    monkeypatch.setattr(S3Backend, "exists", lambda self, key: False)
    assert not backend.put_new(key, b"third", "image/png")
    assert s3_storage.read("attachments", key) == b"first"


def test_discard_removes_and_keys_list_only_the_stores_objects(s3_storage):
    store = document_store()
    kept, dropped = store.put(PDF), store.put(PDF + b"2")
    s3_storage.client.put_object(Bucket=s3_storage.name, Key="tadafur/documents/README",
                                 Body=b"not ours")
    store.discard(dropped.key)
    assert not store.exists(dropped.key)
    assert list(store.backend.list_keys()) == [kept.key]


def test_attachments_go_to_their_own_area(s3_storage):
    name = attachments.new_name()
    attachments.write(name, b"\x89PNG\r\n\x1a\n", "image/png")
    assert s3_storage.names() == [f"tadafur/attachments/{name[:2]}/{name}"]
    assert attachments.read(name) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(StoreError):
        attachments.write(name, b"again", "image/png")
    attachments.discard(name)
    with pytest.raises(MissingObject):
        attachments.read(name)


def test_keys_outside_the_area_are_refused_before_any_request(s3_storage):
    store = DocumentStore(backends.backend(backends.DOCUMENTS))
    for key in ("../x.pdf", "ab/../../secret.pdf", "/etc/passwd", "tadafur/documents/x"):
        with pytest.raises(StoreError):
            store.get(key)
        with pytest.raises(StoreError):
            store.backend.put_new(key, b"x", "text/plain")


def test_an_unreachable_service_is_not_a_missing_object(moto_s3):
    dead = S3Backend(make_client("http://127.0.0.1:9", "us-east-1"), "bucket", "documents/")
    with pytest.raises(StorageUnavailable):
        dead.get("ab/" + "ab" * 32 + ".pdf")
    with pytest.raises(StorageUnavailable):
        dead.exists("ab/" + "ab" * 32 + ".pdf")


def test_the_app_refuses_to_start_with_incomplete_storage_settings():
    for settings, message in (({"STORAGE": "s3"}, "S3_BUCKET"),
                              ({"STORAGE": "nfs"}, "STORAGE must be")):
        stub = Flask(__name__)
        stub.config.update(settings)
        with pytest.raises(RuntimeError, match=message):
            backends.check_settings(stub)
    stub = Flask(__name__)
    stub.config.update(STORAGE="s3", S3_BUCKET="b")
    backends.check_settings(stub)
