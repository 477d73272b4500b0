"""Backup and restore: one archive holds the database and the files the database points to.

`flask --app wsgi backup [PATH]` writes a .tar.gz with
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite, taken
  with the sqlite3 backup API, consistent while the app runs);
- `documents/...` (the content-addressed document store) and `attachments/...` (evidence,
  public photos), read through the configured storage backend. With object storage they are
  left out unless asked for (`--include-objects`): a bucket of photos is protected by its
  own versioning and replication, not copied whole every night (README, Object storage);
- `manifest.json`: the database kind, the audit chain head, and the SHA-256 of every file.

`flask --app wsgi restore ARCHIVE` checks every file against the manifest, then restores into an
EMPTY database (it refuses one with tables: restoring is never a merge) and puts the files back
into the configured backend (never replacing one). Afterwards `flask --app wsgi audit verify`
must pass and every registered document's bytes must hash to its registered sha256 (`restore`
checks the latter itself, in the directory or the bucket).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from tadafur.audit.models import AuditChainHead
from tadafur.core import backends
from tadafur.core.storage import MissingObject, StorageUnavailable
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import StoreError, document_store, sha256_of
from tadafur.extensions import db

FORMAT = "tadafur-backup/1"
PG_DUMP = "database.dump"
SQLITE_FILE = "database.sqlite3"


class BackupError(Exception):
    """Why a backup or restore cannot go on (shown to the operator, nothing half-done)."""


@dataclass(frozen=True)
class RestoreReport:
    database: str
    files: int
    documents_checked: int


def archived_areas(include_objects: bool = False) -> tuple[str, ...]:
    """The storage areas whose files go into the archive: always from a local directory;
    from a bucket only when asked (its versioning and replication are its backup)."""
    if backends.kind() == "local" or include_objects:
        return backends.AREAS
    return ()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_environment(url) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()[:2000]}") from error


def _dump_database(folder: Path) -> tuple[str, str]:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        args, env = _pg_environment(url)
        target = folder / PG_DUMP
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(target), *args], env)
        return "postgresql", PG_DUMP
    if url.get_backend_name() == "sqlite":
        target = folder / SQLITE_FILE
        source = sqlite3.connect(url.database)
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)
        finally:
            source.close()
        return "sqlite", SQLITE_FILE
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def write_backup(path: str | os.PathLike | None = None, include_objects: bool = False) -> Path:
    """Write the archive; returns its path. Default: tadafur-backup-<UTC time>.tar.gz here."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(path) if path else Path.cwd() / f"tadafur-backup-{stamp}.tar.gz"
    if target.is_dir():
        target = target / f"tadafur-backup-{stamp}.tar.gz"
    head = db.session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1))
    head_info = {"seq": head.seq, "hash": head.hash} if head else None
    db.session.rollback()
    areas = archived_areas(include_objects)
    with tempfile.TemporaryDirectory(prefix="tadafur-backup-") as scratch:
        folder = Path(scratch)
        kind, dump_name = _dump_database(folder)
        files = {dump_name: _sha256(folder / dump_name)}
        partial = target.with_name(target.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(folder / dump_name, dump_name)
                for area in areas:
                    for key, data in _stored_files(area):
                        files[f"{area}/{key}"] = sha256_of(data)
                        _add_bytes(archive, f"{area}/{key}", data)
                manifest = {"format": FORMAT, "created_at": stamp, "database": kind,
                            "audit_head": head_info, "files": files,
                            "storage": backends.kind(), "areas": list(areas)}
                _add_bytes(archive, "manifest.json",
                           json.dumps(manifest, indent=1, sort_keys=True).encode())
        except BaseException:
            partial.unlink(missing_ok=True)  # e.g. the bucket stopped answering midway
            raise
        partial.replace(target)  # a crash never leaves a truncated archive under the name
    return target


def _stored_files(area: str) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of every file of an area; one discarded meanwhile is skipped (no row
    points to it)."""
    store = backends.backend(area)
    try:
        for key in store.list_keys():
            try:
                yield key, store.get(key)
            except MissingObject:
                continue
    except StorageUnavailable as error:
        raise BackupError(str(error)) from error


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    archive.addfile(info, io.BytesIO(data))


def _database_is_empty() -> bool:
    return not inspect(db.engine).get_table_names()


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"unsafe entry in the archive: {member.name}")
        members.append(member)
    return members


def restore_backup(path: str | os.PathLike) -> RestoreReport:
    """Check the archive, restore it into the (empty) database and the file stores."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    kind = url.get_backend_name()
    with tempfile.TemporaryDirectory(prefix="tadafur-restore-") as scratch:
        folder = Path(scratch)
        try:
            with tarfile.open(path, "r:gz") as archive:
                archive.extractall(folder, members=_safe_members(archive), filter="data")
        except (tarfile.TarError, OSError, EOFError) as error:
            raise BackupError(f"not a readable backup archive: {error}") from error
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError) as error:
            raise BackupError("the archive has no readable manifest.json") from error
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        for name, digest in manifest["files"].items():
            file = folder / name
            if not file.is_file() or _sha256(file) != digest:
                raise BackupError(f"{name} does not match the manifest: archive damaged")
        if manifest["database"] != kind:
            raise BackupError(f"the archive holds a {manifest['database']} database; "
                              f"this app uses {kind}")
        if not _database_is_empty():
            raise BackupError("the target database is not empty: restore only into an empty "
                              "database (create a new one, or drop this one's tables first)")
        db.session.remove()
        db.engine.dispose()
        if kind == "postgresql":
            args, env = _pg_environment(url)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", *args, str(folder / PG_DUMP)], env)
        else:
            source = sqlite3.connect(folder / SQLITE_FILE)
            try:
                with sqlite3.connect(url.database) as target:
                    source.backup(target)
            finally:
                source.close()
        db.engine.dispose()
        try:
            restored = _restore_files(folder, manifest["files"])
        except StorageUnavailable as error:
            raise BackupError(f"the database is restored but not the files: {error}; "
                              "run restore again into a new empty database") from error
    checked = check_documents()
    return RestoreReport(kind, restored, checked)


def _restore_files(folder: Path, files: dict[str, str]) -> int:
    """Put the archived files into the configured backend (a file already there stays)."""
    restored = 0
    for name in files:
        area, _sep, key = name.partition("/")
        if area not in backends.AREAS or not key:
            continue
        store = backends.backend(area)
        if not store.exists(key):
            content_type = "application/pdf" if area == backends.DOCUMENTS else \
                "application/octet-stream"
            store.put_new(key, (folder / name).read_bytes(), content_type)
        restored += 1
    return restored


def check_documents() -> int:
    """Every registered document's bytes hash to its registered sha256; returns how many."""
    store = document_store()
    checked = 0
    for key, sha256 in db.session.execute(
            select(RegisteredDocument.storage_key, RegisteredDocument.sha256)):
        try:
            matches = sha256_of(store.get(key)) == sha256
        except StoreError:
            matches = False
        except StorageUnavailable as error:
            raise BackupError(str(error)) from error
        if not matches:
            raise BackupError(f"document {key} is missing or does not match its hash")
        checked += 1
    db.session.rollback()
    return checked
