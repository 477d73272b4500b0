"""The content-addressed store: write once, never overwrite, check the hash on reading."""

from __future__ import annotations

import pytest

from tadafur.documents.store import DocumentStore, StoreError, sha256_of


def test_put_names_the_file_by_its_hash_and_reads_it_back(tmp_path):
    store = DocumentStore(tmp_path)
    stored = store.put(b"%PDF-1.7 one")
    assert stored.created and stored.sha256 == sha256_of(b"%PDF-1.7 one")
    assert stored.key == f"{stored.sha256[:2]}/{stored.sha256}.pdf"
    assert store.get(stored.key) == b"%PDF-1.7 one"
    assert not list(tmp_path.rglob(".incoming-*"))


def test_same_bytes_twice_keep_the_first_file(tmp_path):
    store = DocumentStore(tmp_path)
    first = store.put(b"%PDF same")
    inode = (tmp_path / first.key).stat().st_ino
    second = store.put(b"%PDF same")
    assert not second.created
    assert (tmp_path / second.key).stat().st_ino == inode


def test_stored_files_are_read_only(tmp_path):
    stored = DocumentStore(tmp_path).put(b"%PDF ro")
    assert oct((tmp_path / stored.key).stat().st_mode)[-3:] == "444"


def test_a_changed_file_is_detected_on_reading(tmp_path):
    store = DocumentStore(tmp_path)
    stored = store.put(b"%PDF original")
    path = tmp_path / stored.key
    path.chmod(0o644)
    path.write_bytes(b"%PDF tampered")
    with pytest.raises(StoreError):
        store.get(stored.key)


def test_keys_outside_the_store_are_refused(tmp_path):
    store = DocumentStore(tmp_path)
    for key in ("../etc/passwd", "ab/../../x.pdf", "/etc/passwd"):
        with pytest.raises(StoreError):
            store.get(key)
