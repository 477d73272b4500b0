"""Helpers the test suite (and the benchmark) use to build and reset a database.

Kept in the package so that tests on SQLite and PostgreSQL build the schema one way.
"""

from __future__ import annotations

from flask_sqlalchemy.session import Session
from sqlalchemy import inspect, text

from tadafur.audit.triggers import create_audit_triggers, drop_audit_triggers, seed_chain_head
from tadafur.extensions import db
from tadafur.jobs.models import apply_procrastinate_schema, clear_procrastinate

REFERENCE_TABLES = frozenset({"region", "province", "commune", "institution"})


class BoundSession(Session):
    """A Flask-SQLAlchemy session that honours an explicit `bind` (a test's connection).

    Flask-SQLAlchemy's get_bind ignores the session's own bind; tests need it to run each
    case inside a transaction that is rolled back at the end.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if self.bind is not None:
            return self.bind
        return super().get_bind(mapper, clause, bind, **kwargs)


def build_schema() -> None:
    """Drop everything and create the tables, the audit triggers and the chain head."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            db.metadata.drop_all(connection)
            for table in inspect(connection).get_table_names():
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        db.metadata.create_all(connection)
        apply_procrastinate_schema(connection)  # PostgreSQL's job queue (migration 0022)
        create_audit_triggers(connection)
        seed_chain_head(connection)


def advance_sequences(connection, tables) -> None:
    """On PostgreSQL, move each table's id sequence past the ids inserted explicitly (rows
    copied in by the tests' demo snapshot, the benchmark's bulk clones): the next insert would
    otherwise reuse one. SQLite needs nothing (a new rowid follows the largest)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        name = getattr(table, "name", table)
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f'(SELECT MAX(id) FROM "{name}")) WHERE EXISTS (SELECT 1 FROM "{name}")')


def reset_data(keep: frozenset[str] = REFERENCE_TABLES) -> None:
    """Empty every table but the reference ones, audit trail included, and restart the chain.

    Used after tests that commit for real; drops and re-creates the audit triggers.
    """
    db.session.remove()
    with db.engine.begin() as connection:
        drop_audit_triggers(connection)
        # DELETE, children first, on both databases: a test leaves a few rows, and PostgreSQL's
        # TRUNCATE of 70 tables (new files for each) took 0.4 s per committing test. Ids are
        # not restarted (no test may count on them: PostgreSQL's sequences ignore rollbacks).
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in keep:
                connection.execute(table.delete())
        clear_procrastinate(connection)
        create_audit_triggers(connection)
        seed_chain_head(connection)
        if connection.dialect.name == "sqlite":
            connection.execute(text("PRAGMA optimize"))
