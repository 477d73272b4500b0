"""The demo, seeded for real once per database and test worker, then copied in.

Seeding the demo walks 19 projects through the real workflow (about 10 s on SQLite, 13 s on
PostgreSQL, on a shared 2-core machine). Four tests read it: the seed's own test
(tests/projects/test_demo.py, which always seeds for real and checks the seed), the language
sweep, the phone-width check and the public crawl, which only read pages over it. The first
of them on a database seeds for real and keeps every row it wrote; the others get those rows
inserted as they were (ids, hashes, the audit chain's head), which gives the same database in
well under a second. The document and attachment files stay where the first seed stored them:
the session's folders outlive the rolled-back transaction (files are named by their hash).

What a copy cannot carry is refused rather than guessed: if seeding changed the reference
tables (regions, provinces, communes, institutions), which no test empties, `demo_data` seeds
for real every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, select, update

from tadafur.audit.models import AuditChainHead
from tadafur.demo.seed import seed_demo
from tadafur.extensions import db
from tadafur.testing import REFERENCE_TABLES, advance_sequences

CHAIN_HEAD = AuditChainHead.__table__  # one row, written by tadafur.testing.seed_chain_head


@dataclass
class _Snapshot:
    rows: list[tuple[Table, list[dict]]]  # in the order the foreign keys allow
    chain_head: dict


_SNAPSHOTS: dict[str, _Snapshot | None] = {}  # by database URL; None: cannot be copied


def _data_tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables
            if t.name not in REFERENCE_TABLES and t is not CHAIN_HEAD]


def reference_rows() -> dict[str, list]:
    """The reference tables' rows (to check that seeding the demo left them alone)."""
    return {t.name: [tuple(r) for r in db.session.execute(
                select(t).order_by(*t.primary_key.columns))]
            for t in db.metadata.sorted_tables if t.name in REFERENCE_TABLES}


def _key() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _chain_seq() -> int:
    return db.session.scalar(select(AuditChainHead.seq))


def demo_data() -> None:
    """The demo's rows in this test's database, flushed, not committed. The database must be
    as every test finds it (tests/conftest.py): the reference tables and nothing else."""
    assert _chain_seq() == 0, "the demo is copied into a database with no data of its own"
    key = _key()
    if key in _SNAPSHOTS and _SNAPSHOTS[key] is not None:
        _restore(_SNAPSHOTS[key])
        return
    before = reference_rows() if key not in _SNAPSHOTS else None
    seed_demo()
    db.session.flush()
    if before is not None:
        remember_demo(before)


def remember_demo(reference_before: dict[str, list]) -> None:
    """Keep the rows of the demo just seeded into an empty database (reference tables as
    `reference_before`, taken before seeding), for the next `demo_data` on this database."""
    key = _key()
    if reference_before != reference_rows():
        _SNAPSHOTS[key] = None  # seeding touched the reference tables: never copy
        return
    db.session.flush()
    rows = [(table, [dict(row._mapping) for row in db.session.execute(select(table))])
            for table in _data_tables()]
    head = db.session.execute(select(CHAIN_HEAD)).mappings().one()
    _SNAPSHOTS.setdefault(key, _Snapshot(rows, dict(head)))


def _restore(snapshot: _Snapshot) -> None:
    session = db.session
    for table, rows in snapshot.rows:
        if rows:
            session.execute(table.insert(), rows)
    head = snapshot.chain_head
    session.execute(update(CHAIN_HEAD).where(CHAIN_HEAD.c.id == head["id"])
                    .values(seq=head["seq"], hash=head["hash"]))
    # Rows came with their ids: the sequences move past them before the test's own inserts.
    advance_sequences(session.connection(), [table for table, rows in snapshot.rows
                                             if rows and "id" in table.c])
    session.flush()
