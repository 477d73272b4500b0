"""An immutable, content-addressed store of document files.

A file's key is `<sha256[:2]>/<sha256>.pdf`, where the hash is the hash of its bytes. Files
are written once and never overwritten; reading checks the hash again, so a file changed in
the directory or the bucket is refused whatever the backend. The backend is the settings'
(`tadafur.core.backends`): the DOCUMENTS_DIR directory (tests: INSTANCE_DOCUMENTS), by default
instance/documents/, or the `documents/` area of the S3 bucket.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass

from tadafur.core import backends
from tadafur.core.storage import Backend, LocalBackend, StorageUnavailable, StoreError

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.pdf$")
CONTENT_TYPE = "application/pdf"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    sha256: str
    key: str
    size: int
    created: bool  # False when identical bytes were already stored


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentStore:
    """Content addressing and the hash check, over any backend (a path means a directory)."""

    def __init__(self, backend: Backend | str | os.PathLike) -> None:
        if isinstance(backend, (str, os.PathLike)):
            backend = LocalBackend(backend, backends.LOCAL_MODES[backends.DOCUMENTS])
        self.backend: Backend = backend

    @staticmethod
    def _checked(key: str) -> str:
        if not KEY_PATTERN.match(key):
            raise StoreError(f"not a storage key: {key!r}")
        return key

    def put(self, data: bytes) -> Stored:
        digest = sha256_of(data)
        key = f"{digest[:2]}/{digest}.pdf"
        if self.backend.exists(key):
            self.get(key)  # identical bytes by construction; still check nothing rotted
            return Stored(digest, key, len(data), created=False)
        created = self.backend.put_new(key, data, CONTENT_TYPE)
        return Stored(digest, key, len(data), created=created)

    def get(self, key: str) -> bytes:
        data = self.backend.get(self._checked(key))
        if sha256_of(data) != key.rsplit("/", 1)[-1].removesuffix(".pdf"):
            raise StoreError(f"stored document {key} does not match its hash")
        return data

    def exists(self, key: str) -> bool:
        return self.backend.exists(self._checked(key))

    def discard(self, key: str) -> None:
        """Remove a file this process just wrote whose registration did not happen. Called
        while another error propagates: an unreachable store leaves an orphan file (no row
        points to it, so nothing shows it) rather than hiding that error."""
        try:
            self.backend.delete(self._checked(key))
        except StorageUnavailable:
            log.warning("could not discard unregistered document %s", key, exc_info=True)


def document_store() -> DocumentStore:
    return DocumentStore(backends.backend(backends.DOCUMENTS))
