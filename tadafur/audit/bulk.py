"""Bulk-load a realistic, correctly chained audit trail (benchmarks and scale tests).

Each event is hashed exactly as `record` would; rows go in with COPY on PostgreSQL (tens of
thousands of rows a second) and executemany elsewhere.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from sqlalchemy import select

from tadafur.audit.models import AuditChainHead, AuditEvent
from tadafur.audit.services import canonical_json, compute_hash
from tadafur.extensions import db

ACTIONS = ("project.updated", "project.submitted", "signoff.given", "document.produced",
           "user.login", "budget_line.added", "message.posted", "commune.updated")
COLUMNS = ("seq", "occurred_at", "actor_id", "actor_name", "actor_role", "action",
           "object_type", "object_id", "project_id", "commune_id", "summary", "before",
           "after", "address", "request_id", "prev_hash", "hash")


class _Row:
    __slots__ = COLUMNS

    def __init__(self, **values):
        for key, value in values.items():
            setattr(self, key, value)

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, c) for c in COLUMNS)


def append_events(count: int, commune_ids: Sequence[int], project_ids: Sequence[int] = (),
                  seed: int = 7, batch: int = 20_000) -> int:
    """Append `count` chained events after the current head; commits. Returns the new head."""
    rng = random.Random(seed)
    head = db.session.execute(select(AuditChainHead).where(AuditChainHead.id == 1)
                              .with_for_update()).scalar_one()
    seq, previous = head.seq, head.hash
    start = dt.datetime(2025, 1, 1)
    rows: list[tuple] = []
    connection = db.session.connection()
    for n in range(count):
        seq += 1
        commune_id = rng.choice(commune_ids)
        project_id = rng.choice(project_ids) if project_ids else None
        action = rng.choice(ACTIONS)
        row = _Row(seq=seq, occurred_at=start + dt.timedelta(seconds=seq * 37),
                   actor_id=None, actor_name=f"user{rng.randrange(500)}@example.org",
                   actor_role="commune_agent", action=action, object_type="project",
                   object_id=str(project_id or n), project_id=project_id,
                   commune_id=commune_id, summary=f"{action} #{n}",
                   before=canonical_json({"value": n}), after=canonical_json({"value": n + 1}),
                   address="127.0.0.1", request_id=None, prev_hash=previous, hash="")
        row.hash = compute_hash(row)
        previous = row.hash
        rows.append(row.as_tuple())
        if len(rows) >= batch:
            _write(connection, rows)
            rows = []
    if rows:
        _write(connection, rows)
    head.seq, head.hash = seq, previous
    db.session.commit()
    return seq


def _write(connection, rows: list[tuple]) -> None:
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        connection.execute(AuditEvent.__table__.insert(), [dict(zip(COLUMNS, r, strict=True))
                                                           for r in rows])
