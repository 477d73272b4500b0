"""An immutable, content-addressed store of document files.

A file lives at `<root>/<sha256[:2]>/<sha256>.pdf`, where the hash is the hash of its bytes.
Files are written once (to a temporary name, then linked into place, which fails rather than
replaces) and never overwritten; reading checks the hash again. The root is the
DOCUMENTS_DIR setting (tests: INSTANCE_DOCUMENTS), by default instance/documents/.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.pdf$")


class StoreError(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    sha256: str
    key: str
    size: int
    created: bool  # False when identical bytes were already stored


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentStore:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise StoreError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, data: bytes) -> Stored:
        digest = sha256_of(data)
        key = f"{digest[:2]}/{digest}.pdf"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self.get(key)  # identical bytes by construction; still check nothing rotted
            return Stored(digest, key, len(data), created=False)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o444)
            try:
                os.link(temporary, path)  # fails if the name exists: never overwrite
                created = True
            except FileExistsError:
                created = False
        finally:
            os.unlink(temporary)
        return Stored(digest, key, len(data), created=created)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"missing stored document {key}") from None
        if sha256_of(data) != path.stem:
            raise StoreError(f"stored document {key} does not match its hash")
        return data

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def discard(self, key: str) -> None:
        """Remove a file this process just wrote whose registration did not happen."""
        path = self._path(key)
        if path.exists():
            path.chmod(0o644)
            path.unlink()


def document_store() -> DocumentStore:
    config = current_app.config
    root = (config.get("DOCUMENTS_DIR") or config.get("INSTANCE_DOCUMENTS")
            or os.path.join(current_app.instance_path, "documents"))
    return DocumentStore(root)
