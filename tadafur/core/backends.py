"""Which storage backend holds documents and attachments, from the settings.

STORAGE = "local" (the default): DOCUMENTS_DIR and ATTACHMENTS_DIR, by default under
instance/. STORAGE = "s3": one bucket (S3_BUCKET) with the areas under S3_PREFIX, reached at
S3_ENDPOINT_URL (unset: AWS) in S3_REGION. Read at each use, not cached, so that a test may
switch an app to the bucket; only the boto3 client is kept (making one costs tens of
milliseconds, and a client is safe to share between threads).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, current_app

from tadafur.core.s3 import S3Backend, make_client
from tadafur.core.storage import Backend, LocalBackend

DOCUMENTS = "documents"
ATTACHMENTS = "attachments"
AREAS = (DOCUMENTS, ATTACHMENTS)
# Documents are read-only once written; evidence files readable by the server's user only.
LOCAL_MODES = {DOCUMENTS: 0o444, ATTACHMENTS: 0o640}
KINDS = ("local", "s3")
_clients_lock = threading.Lock()


def kind() -> str:
    return (current_app.config.get("STORAGE") or "local").strip().lower()


def local_root(area: str) -> str:
    config = current_app.config
    if area == DOCUMENTS:
        configured = config.get("DOCUMENTS_DIR") or config.get("INSTANCE_DOCUMENTS")
    else:
        configured = config.get("ATTACHMENTS_DIR")
    return configured or os.path.join(current_app.instance_path, area)


def _client() -> Any:
    config = current_app.config
    identity = (config.get("S3_ENDPOINT_URL") or None, config.get("S3_REGION") or None)
    clients = current_app.extensions.setdefault("tadafur.s3_clients", {})
    with _clients_lock:
        if identity not in clients:
            clients[identity] = make_client(*identity)
        return clients[identity]


def backend(area: str) -> Backend:
    """The backend of one area (DOCUMENTS or ATTACHMENTS) as the settings say now."""
    if area not in AREAS:
        raise ValueError(f"no storage area {area!r}")
    if kind() == "s3":
        prefix = (current_app.config.get("S3_PREFIX") or "").strip("/")
        return S3Backend(_client(), current_app.config["S3_BUCKET"],
                         f"{prefix}/{area}/" if prefix else f"{area}/")
    return LocalBackend(local_root(area), LOCAL_MODES[area])


def check_settings(app: Flask) -> None:
    """Refuse to start with a storage setting that would fail at the first upload."""
    chosen = (app.config.get("STORAGE") or "local").strip().lower()
    if chosen not in KINDS:
        raise RuntimeError(f"STORAGE must be one of {', '.join(KINDS)}, not {chosen!r}")
    if chosen == "s3" and not app.config.get("S3_BUCKET"):
        raise RuntimeError("STORAGE is s3 but S3_BUCKET (TADAFUR_S3_BUCKET) is not set")
