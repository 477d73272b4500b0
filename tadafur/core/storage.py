"""Where files live: the interface of a storage backend and the local-directory one.

Documents (sealed PDFs) and attachments (evidence, public photos) are write-once files named
by the caller (a hash or random hex), so a backend needs only a few verbs: put a new object
(never replacing one), get, exists, delete, and list (for the backup). Several stateless app
servers must see the same files, hence a second backend in object storage (`tadafur.core.s3`);
`tadafur.core.backends` picks one from the settings. The local directory stays the default and
keeps the on-disk layout of before: `<root>/<key>`.

Integrity is the callers' business (the document store re-checks the hash in the key, the
attachment services the hash recorded at upload), so that it holds whatever the backend.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

# Two hex digits, a slash, a hex name (32 random or 64 hash digits), maybe an extension:
# nothing that could climb out of a directory or a bucket prefix.
KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32,64}(\.[a-z]{2,4})?$")
INCOMING = ".incoming-"  # a local write in progress, not yet in the store


class StoreError(Exception):
    """A stored file cannot be had as it was stored: missing, damaged, or a bad key."""


class MissingObject(StoreError):
    """No file under that key (never written, discarded, or lost)."""


class StorageUnavailable(Exception):
    """The storage service did not answer (network, credentials, outage): not a verdict on
    the file, so callers must not report it as missing or damaged."""


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise StoreError(f"not a storage key: {key!r}")
    return key


class Backend(Protocol):
    """What the document store and the attachments need of a place to keep files."""

    def put_new(self, key: str, data: bytes, content_type: str) -> bool:
        """Store `data` under `key` unless something is there already; True if written."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; MissingObject when there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key` if present (a file whose database row never committed)."""

    def list_keys(self) -> Iterator[str]:
        """Every stored key, for the backup."""


class LocalBackend:
    """A directory, shared by the app servers when it is a network mount. `mode` is the
    permission a stored file gets (documents read-only, attachments server-only)."""

    def __init__(self, root: str | os.PathLike, mode: int = 0o444) -> None:
        self.root = Path(root)
        self.mode = mode

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_new(self, key: str, data: bytes, content_type: str = "") -> bool:
        """Write to a temporary name, then link it into place: the link fails rather than
        replaces, and a reader never sees half a file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=INCOMING)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, self.mode)
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
            return True
        finally:
            os.unlink(temporary)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingObject(f"missing stored file {key}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.exists():
            path.chmod(0o644)  # a read-only file, in a directory that may be shared
            path.unlink(missing_ok=True)

    def list_keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and KEY_PATTERN.match(key):
                yield key
