"""Database triggers that make the audit table append-only, on SQLite and PostgreSQL.

Created by migration (and by tests that build the schema directly). Tests that need to
tamper with the log behind the app's back drop them explicitly.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

GENESIS_HASH = "0" * 64

_SQLITE_CREATE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
_PG_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
]


def _statements(dialect: str, create: bool) -> list[str]:
    if dialect == "postgresql":
        return _PG_CREATE if create else _PG_DROP
    if dialect == "sqlite":
        return _SQLITE_CREATE if create else _SQLITE_DROP
    raise RuntimeError(f"no audit triggers for the {dialect} dialect")


def create_audit_triggers(connection: Connection) -> None:
    for statement in _statements(connection.dialect.name, create=True):
        connection.exec_driver_sql(statement)


def drop_audit_triggers(connection: Connection) -> None:
    for statement in _statements(connection.dialect.name, create=False):
        connection.exec_driver_sql(statement)


def seed_chain_head(connection: Connection) -> None:
    """The head row starts at sequence 0 with the all-zero genesis hash."""
    connection.exec_driver_sql(
        f"INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"
    )
