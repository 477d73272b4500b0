"""Evidence files: what a file is (from its first bytes, never its name), a safe display
name, and a private store under random names.

The store is the attachments area of the configured backend (`tadafur.core.backends`): the
ATTACHMENTS_DIR directory, by default `instance/attachments/`, or the bucket's
`attachments/`. Outside the static files either way, so nothing is ever served except through
the permission-checked, audited download view. A file's key is `<name[:2]>/<name>` where
`name` is 32 random hex digits (on disk: `<root>/<name[:2]>/<name>`, as before).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app

from tadafur.core import backends
from tadafur.core.storage import Backend, StorageUnavailable, StoreError
from tadafur.vocabulary import file_size

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
NAME_PATTERN = re.compile(r"^[0-9a-f]{32}$")
DISPLAY_MAX = 120
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]
    magic: bytes


KINDS = (
    Kind("application/pdf", (".pdf",), b"%PDF-"),
    Kind("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    Kind("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
)


def sniff(data: bytes) -> Kind | None:
    """The accepted kind whose signature opens `data`, or None (a script, an executable, an
    archive, a text file... whatever its name says)."""
    return next((kind for kind in KINDS if data.startswith(kind.magic)), None)


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def display_name(original: str | None, kind: Kind) -> str:
    """The base name of what the browser sent, cleaned for display and download.

    Directories are dropped whichever separator they use (`../../etc/passwd`,
    `C:\\x\\y.pdf`), control and format characters removed, leading dots stripped (no hidden
    files), the length capped; the extension is made to match the content."""
    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name)
                   if unicodedata.category(ch)[0] not in ("C",))
    name = name.strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if f".{extension.lower()}" not in kind.extensions:
        stem = name
        extension = kind.extensions[0][1:]
    stem = stem.strip()[: DISPLAY_MAX - len(extension) - 1].strip() or "evidence"
    return f"{stem}.{extension.lower()}"


def _backend() -> Backend:
    return backends.backend(backends.ATTACHMENTS)


def _key(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"not a stored attachment name: {name!r}")
    return f"{name[:2]}/{name}"


def new_name() -> str:
    return secrets.token_hex(16)


def write(name: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    """Write a new file; never replaces one (the names are random: a clash is a bug)."""
    if not _backend().put_new(_key(name), data, content_type):
        raise StoreError(f"attachment {name} already exists")


def read(name: str) -> bytes:
    """The stored bytes, unchecked (the caller compares them with the recorded hash);
    MissingObject when the file is gone."""
    return _backend().get(_key(name))


def discard(name: str) -> None:
    """Remove a file whose row was not committed (the transaction failed after the write),
    or a withdrawn public copy. An unreachable store leaves an orphan file that no row
    points to, rather than hiding the error being handled."""
    try:
        _backend().delete(_key(name))
    except StorageUnavailable:
        log.warning("could not discard attachment %s", name, exc_info=True)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def size_text(size: int) -> str:
    """A size as people read it, in their language: "10 MB", "1,5 Mo", "500 ك.ب"."""

    return file_size(size)
