"""Backup and restore: one archive holds the database and the files the database points to.

`flask --app wsgi backup [PATH]` writes a .tar.gz with
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite, taken
  with the sqlite3 backup API, consistent while the app runs);
- `documents/...` (the content-addressed document store) and `attachments/...` (when an
  ATTACHMENTS_DIR is configured);
- `manifest.json`: the database kind, the audit chain head, and the SHA-256 of every file.

`flask --app wsgi restore ARCHIVE` checks every file against the manifest, then restores into an
EMPTY database (it refuses one with tables: restoring is never a merge) and puts the files back.
Afterwards `flask --app wsgi audit verify` must pass and every registered document's bytes must
hash to its registered sha256 (`restore` checks the latter itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from tadafur.audit.models import AuditChainHead
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import sha256_of
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


def file_roots() -> dict[str, Path]:
    """The folders that belong in a backup, by their name inside the archive."""
    config = current_app.config
    documents = (config.get("DOCUMENTS_DIR") or config.get("INSTANCE_DOCUMENTS")
                 or os.path.join(current_app.instance_path, "documents"))
    roots = {"documents": Path(documents)}
    if config.get("ATTACHMENTS_DIR"):
        roots["attachments"] = Path(config["ATTACHMENTS_DIR"])
    return roots


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


def write_backup(path: str | os.PathLike | None = None) -> Path:
    """Write the archive; returns its path. Default: tadafur-backup-<UTC time>.tar.gz here."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(path) if path else Path.cwd() / f"tadafur-backup-{stamp}.tar.gz"
    if target.is_dir():
        target = target / f"tadafur-backup-{stamp}.tar.gz"
    head = db.session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1))
    head_info = {"seq": head.seq, "hash": head.hash} if head else None
    db.session.rollback()
    with tempfile.TemporaryDirectory(prefix="tadafur-backup-") as scratch:
        folder = Path(scratch)
        kind, dump_name = _dump_database(folder)
        files = {dump_name: _sha256(folder / dump_name)}
        members: list[tuple[Path, str]] = [(folder / dump_name, dump_name)]
        for name, root in file_roots().items():
            if not root.is_dir():
                continue
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                if file.name.startswith(".incoming-"):
                    continue  # a write in progress, not yet in the store
                arcname = f"{name}/{file.relative_to(root).as_posix()}"
                files[arcname] = _sha256(file)
                members.append((file, arcname))
        manifest = {"format": FORMAT, "created_at": stamp, "database": kind,
                    "audit_head": head_info, "files": files}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / "manifest.json", "manifest.json")
            for file, arcname in members:
                archive.add(file, arcname)
        partial.replace(target)  # a crash never leaves a truncated archive under the name
    return target


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
        restored = 0
        roots = file_roots()
        for name in manifest["files"]:
            section, _sep, rest = name.partition("/")
            if section not in roots or not rest:
                continue
            destination = roots[section] / rest
            destination.parent.mkdir(parents=True, exist_ok=True)
            if not destination.exists():
                shutil.copy2(folder / name, destination)
            restored += 1
    checked = check_documents()
    return RestoreReport(kind, restored, checked)


def check_documents() -> int:
    """Every registered document's bytes hash to its registered sha256; returns how many."""
    root = file_roots()["documents"]
    checked = 0
    for key, sha256 in db.session.execute(
            select(RegisteredDocument.storage_key, RegisteredDocument.sha256)):
        file = root / key
        if not file.is_file() or sha256_of(file.read_bytes()) != sha256:
            raise BackupError(f"document {key} is missing or does not match its hash")
        checked += 1
    db.session.rollback()
    return checked
