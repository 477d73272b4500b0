"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tadafur.extensions import db
from tests.conftest import make_app


@pytest.fixture
def empty_database_url(dialect, tmp_path):
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    base = make_url(os.environ["TADAFUR_TEST_DATABASE_URL"])
    name = f"tadafur_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        # SQLite's FTS5 index of the lessons is a virtual table with shadow tables the
        # models cannot describe (tadafur/showcase/models.py creates them with the table);
        # procrastinate's tables (PostgreSQL's job queue, migration 0022) are its own.
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: not (
                kind == "table" and (name or "").startswith(("lesson_fts", "procrastinate_")))})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models_and_install_the_audit_triggers(empty_database_url):
    migrated = make_app(empty_database_url)
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as connection:
            head = connection.execute(text("SELECT seq, hash FROM audit_chain_head")).one()
            assert head.seq == 0 and head.hash == "0" * 64
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text(
                    "INSERT INTO audit_event (seq, occurred_at, action, summary, prev_hash, hash)"
                    " VALUES (1, '2026-01-01', 'x', '', 'a', 'b')"))
                connection.execute(text("DELETE FROM audit_event"))
    assert _differences(migrated) == []
    with migrated.app_context():
        downgrade(revision="base")
        db.engine.dispose()
