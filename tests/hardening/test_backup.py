"""Backup and restore: one archive (database + document store + manifest), restored into an
empty database on SQLite and PostgreSQL; the audit chain verifies and every document's bytes
hash to its registered sha256 afterwards."""

from __future__ import annotations

import os
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tadafur.audit.services import record
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import document_store
from tadafur.extensions import db
from tadafur.organisations.services import seed_reference_data
from tadafur.testing import build_schema
from tests.conftest import make_app
from tests.factories import make_association
from tests.objectstore import REGION, client_for
from tests.workflow.conftest import build_project


def _scratch_postgres(suffix: str) -> str:
    """A new, empty database next to the test database; dropped by the caller."""
    import psycopg

    url = make_url(os.environ["TADAFUR_TEST_DATABASE_URL"])
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


pytestmark = pytest.mark.committing  # the sources are separate apps with their own sessions


@pytest.fixture
def databases(dialect, tmp_path):
    """(kind, source URL, empty target URL), of the kind the suite's app runs on."""
    if dialect == "sqlite":
        yield dialect, f"sqlite:///{tmp_path / 'source.sqlite3'}", \
            f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    tag = uuid.uuid4().hex[:6]
    source, target = _scratch_postgres(f"bk_src_{tag}"), _scratch_postgres(f"bk_dst_{tag}")
    try:
        yield dialect, source, target
    finally:
        _drop_postgres(source)
        _drop_postgres(target)


def _fill(app) -> list[str]:
    """A project, three registered documents in the store, audit events; returns the hashes."""
    from tadafur.accounts.models import Role
    from tadafur.organisations.models import Commune
    from tests.factories import make_user

    with app.app_context():
        build_schema()
        seed_reference_data()
        commune = db.session.scalar(select(Commune).where(Commune.is_partner).limit(1))
        association = make_association(commune)
        agent = make_user(Role.COMMUNE_AGENT, commune)
        project = build_project(commune, association, agent)
        hashes = []
        for version in (1, 2, 3):
            stored = document_store().put(b"%PDF-1.4\n% backup test " + bytes([version]) * 50)
            document = RegisteredDocument(project_id=project.id, kind="audit_extract",
                                          language="fr", version=version, sha256=stored.sha256,
                                          size=stored.size, storage_key=stored.key)
            db.session.add(document)
            db.session.flush()
            record("document.produced", obj=document, project=project, actor=agent,
                   summary=f"extract v{version}")
            hashes.append(stored.sha256)
        db.session.commit()
        db.session.remove()
        return hashes


_APPS: list = []


def _app(url: str, root: Path, **settings):
    application = make_app(url, INSTANCE_DOCUMENTS=str(root / "documents"),
                           ATTACHMENTS_DIR=str(root / "attachments"), SEAL_DIR=str(root / "seal"),
                           **settings)
    _APPS.append(application)
    return application


@pytest.fixture(autouse=True)
def dispose_apps():
    """Close the pools of the apps a test made (before its scratch databases are dropped)."""
    yield
    while _APPS:
        with _APPS.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def _cli(app, *args: str):
    """Run a command against `app` (the suite's own app context is open around tests)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_backup_then_restore_into_an_empty_database(databases, tmp_path):
    kind, source_url, target_url = databases
    source = _app(source_url, tmp_path / "source")
    hashes = _fill(source)
    archive = tmp_path / "backup.tar.gz"
    result = _cli(source, "backup", str(archive))
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as opened:
        names = opened.getnames()
    assert "manifest.json" in names
    assert ("database.dump" if kind == "postgresql" else "database.sqlite3") in names
    assert sum(n.startswith("documents/") for n in names) == 3

    target = _app(target_url, tmp_path / "target")
    result = _cli(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "3 documents match their hashes" in result.output
    result = _cli(target, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    with target.app_context():
        restored = set(db.session.scalars(select(RegisteredDocument.sha256)))
        assert restored == set(hashes)
        store = document_store()
        for document in db.session.scalars(select(RegisteredDocument)):
            store.get(document.storage_key)  # raises when the bytes do not hash to the key
        assert db.session.scalar(select(func.count()).select_from(RegisteredDocument)) == 3
        db.session.remove()
        db.engine.dispose()
    with source.app_context():
        db.engine.dispose()

    # A second restore into the now-populated database is refused, nothing changed.
    result = _cli(target, "restore", str(archive))
    assert result.exit_code == 1
    assert "not empty" in result.output


def test_a_damaged_archive_is_refused(tmp_path, databases):
    _kind, source_url, target_url = databases
    source = _app(source_url, tmp_path / "source")
    _fill(source)
    archive = tmp_path / "backup.tar.gz"
    assert _cli(source, "backup", str(archive)).exit_code == 0
    with source.app_context():
        db.engine.dispose()
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w:gz") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name.startswith("documents/"):
                data = data + b"tampered"
                member.size = len(data)
            import io

            copy.addfile(member, io.BytesIO(data))
    target = _app(target_url, tmp_path / "target")
    result = _cli(target, "restore", str(damaged))
    assert result.exit_code == 1
    assert "does not match the manifest" in result.output
    with target.app_context():
        from sqlalchemy import inspect

        assert not inspect(db.engine).get_table_names()
        db.engine.dispose()


def _bucket(endpoint: str) -> dict:
    """Settings of an app on a new, empty bucket of the moto server."""
    name = f"tadafur-{uuid.uuid4().hex[:12]}"
    client_for(endpoint).create_bucket(Bucket=name)
    return {"STORAGE": "s3", "S3_BUCKET": name, "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": REGION, "S3_PREFIX": "tadafur"}


def test_object_storage_is_archived_only_when_asked_and_restored_into_a_bucket(
        databases, tmp_path, moto_s3):
    _kind, source_url, target_url = databases
    source = _app(source_url, tmp_path / "source", **_bucket(moto_s3))
    _fill(source)
    assert not (tmp_path / "source" / "documents").exists()  # all in the bucket
    lean, full = tmp_path / "lean.tar.gz", tmp_path / "full.tar.gz"
    assert _cli(source, "backup", str(lean)).exit_code == 0
    result = _cli(source, "backup", "--include-objects", str(full))
    assert result.exit_code == 0, result.output
    with source.app_context():
        db.engine.dispose()
    with tarfile.open(lean) as opened:
        assert not any(n.startswith("documents/") for n in opened.getnames())
    with tarfile.open(full) as opened:
        assert sum(n.startswith("documents/") for n in opened.getnames()) == 3

    target_bucket = _bucket(moto_s3)
    target = _app(target_url, tmp_path / "target", **target_bucket)
    result = _cli(target, "restore", str(full))
    assert result.exit_code == 0, result.output
    assert "3 documents match their hashes" in result.output
    listed = client_for(moto_s3).list_objects_v2(Bucket=target_bucket["S3_BUCKET"])
    assert len(listed["Contents"]) == 3
