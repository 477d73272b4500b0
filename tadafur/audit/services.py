"""Writing and verifying the audit trail.

`record` is the only way events are written. It runs inside the caller's transaction: the
change and its audit event commit together or not at all (the caller, or the request,
commits). It locks the chain head first, so concurrent writers queue instead of forking.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from tadafur.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from tadafur.audit.triggers import GENESIS_HASH
from tadafur.extensions import db
from tadafur.models_base import utcnow

MASKED_KEYS = ("password", "secret", "token", "private_key")
MASK = "***"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


def _mask(values: Any) -> Any:
    if isinstance(values, Mapping):
        return {
            key: (MASK if any(word in str(key).lower() for word in MASKED_KEYS) else _mask(val))
            for key, val in values.items()
        }
    if isinstance(values, list):
        return [_mask(item) for item in values]
    return values


def canonical_json(values: Any) -> str | None:
    """The one serialisation used for storage and hashing: sorted keys, no spaces, UTF-8."""
    if values is None:
        return None
    return json.dumps(
        _mask(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        default=_json_default,
    )


def _timestamp(value: dt.datetime) -> str:
    """`%Y-%m-%dT%H:%M:%S.%fZ`, written with isoformat: the same text, several times faster
    than strftime (verifying the chain computes it once per event)."""
    if value.tzinfo is not None:  # stored naive (UTC); an aware value is the same instant
        value = value.replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


# json.dumps builds a new encoder at every call when given options; verify_chain hashes every
# event of the trail, so the one canonical encoder is built once (same output as json.dumps
# with these arguments).
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The fields a hash covers, in one order: verify_chain reads them as plain tuples in this
# order (a Row's attribute lookups cost more than the hashing itself at 300,000 events).
HASHED_FIELDS = ("seq", "occurred_at", "actor_id", "actor_name", "actor_role", "action",
                 "object_type", "object_id", "project_id", "commune_id", "summary", "before",
                 "after", "address", "request_id", "prev_hash")


def compute_hash(event: Any) -> str:
    """SHA-256 over the canonical form of every field but the hash itself."""
    return _digest(tuple(getattr(event, name) for name in HASHED_FIELDS))


def _digest(values: tuple) -> str:
    """The hash of an event given as its HASHED_FIELDS values (sorted keys, so the order here
    does not change the bytes)."""
    fields = dict(zip(HASHED_FIELDS, values, strict=True))
    fields["occurred_at"] = _timestamp(fields["occurred_at"])
    return hashlib.sha256(_HASH_ENCODER.encode(fields).encode("utf-8")).hexdigest()


def _lock_head() -> AuditChainHead:
    statement = (
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = db.session.execute(statement).scalar_one_or_none()
    if head is None:  # schema built without the seed row (should not happen after migrate)
        head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
    return head


def _current_actor() -> Any:
    if not has_request_context():
        return None

    return current_user if current_user and current_user.is_authenticated else None


def record(
    action: str,
    *,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    summary: str = "",
    before: Mapping | None = None,
    after: Mapping | None = None,
    project: Any = None,
    commune_id: int | None = None,
    actor: Any = None,
    actor_name: str | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction and flush it.

    `action` is dotted (`user.login`, `commune.updated`, `project.submitted`). `obj` fills
    object type and id; `project` fills project and commune, so reviewers can filter by
    territory. Keys that look like secrets are masked in before/after.
    """
    actor = actor if actor is not None else _current_actor()
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if project is not None:
        commune_id = commune_id or getattr(project, "commune_id", None)
    head = _lock_head()
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "email", None),
        actor_role=actor_role or getattr(actor, "role_label", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        project_id=getattr(project, "id", None),
        commune_id=commune_id,
        summary=summary,
        before=canonical_json(before),
        after=canonical_json(after),
        address=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        prev_hash=head.hash,
    )
    event.hash = compute_hash(event)
    head.seq, head.hash = event.seq, event.hash
    db.session.add(event)
    db.session.flush()
    return event


def changes(before: Mapping, after: Mapping) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after) dicts for `record`."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    count: int
    broken_seq: int | None = None
    reason: str = ""
    last_hash: str = GENESIS_HASH

    def __str__(self) -> str:
        if self.intact:
            return f"intact: {self.count} events"
        return f"broken at event {self.broken_seq}: {self.reason}"


def _batches_in_order(batch: int = 10_000) -> Iterator[list]:
    """Lists of (HASHED_FIELDS values..., hash) rows in seq order, by keyset: no ORM identity
    map to fill. On PostgreSQL the driver's own cursor, on the session's connection (the same
    transaction), hands plain tuples: building a Row per event cost a seventh of the verify."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        query = (f"SELECT {', '.join(HASHED_FIELDS)}, hash FROM audit_event WHERE seq > %s "
                 "ORDER BY seq LIMIT %s")

        def read(after: int) -> list:
            return cursor.execute(query, (after, batch)).fetchall()
    else:
        table = AuditEvent.__table__
        columns = [table.c[name] for name in HASHED_FIELDS] + [table.c.hash]

        def read(after: int) -> list:
            return db.session.execute(select(*columns).where(table.c.seq > after)
                                      .order_by(table.c.seq).limit(batch)).all()
    last_seq = 0
    while rows := read(last_seq):
        yield rows
        last_seq = rows[-1][0]


@dataclass(frozen=True)
class _BatchCheck:
    checked: int  # events found sound before `broken_at` (all of them when it is None)
    broken_at: int | None = None
    reason: str = ""


def _check_batch(rows: list, expected_seq: int, previous_hash: str,
                 heads: Mapping[int, str]) -> _BatchCheck:
    """One batch of the chain, given where the batch before it ended."""
    for checked, row in enumerate(rows):
        seq, prev_hash, stored_hash = row[0], row[-2], row[-1]
        if seq != expected_seq:
            return _BatchCheck(checked, expected_seq, "event missing or out of order")
        if prev_hash != previous_hash:
            return _BatchCheck(checked, seq, "does not follow the previous event")
        if _digest(tuple(row[:-1])) != stored_hash:
            return _BatchCheck(checked, seq, "content altered (hash mismatch)")
        if heads.get(seq, stored_hash) != stored_hash:
            return _BatchCheck(checked, seq,
                               "differs from an exported chain head (history rewritten)")
        previous_hash, expected_seq = stored_hash, expected_seq + 1
    return _BatchCheck(len(rows))


def verify_chain(
    checkpoints: Mapping[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> VerifyResult:
    """Walk the whole chain: sequence without gaps, each link to its predecessor, each hash,
    and every exported head (stored checkpoints plus `checkpoints` given by the caller).

    Also compares the end with the head row, so deleting the newest events is found too.
    Each batch is checked in a helper thread while this one reads the next batch from the
    database (the driver waits without the GIL): at 300,000 events the reading was a third
    of the time. Batches are judged in order, so the first break reported is the first one.
    """
    heads = stored_checkpoints()
    heads.update(checkpoints or {})
    count, previous_hash = 0, GENESIS_HASH
    pending: list[tuple[Future, str]] = []
    with ThreadPoolExecutor(max_workers=1) as hasher:
        expected_seq, link = 1, GENESIS_HASH
        for rows in _batches_in_order():
            pending.append((hasher.submit(_check_batch, rows, expected_seq, link, heads),
                            rows[-1][-1]))
            expected_seq, link = rows[-1][0] + 1, rows[-1][-1]
            while pending and (pending[0][0].done() or len(pending) > 2):
                failure, count, previous_hash = _judge(pending.pop(0), count, previous_hash,
                                                       progress, progress_every)
                if failure is not None:
                    return failure
        while pending:
            failure, count, previous_hash = _judge(pending.pop(0), count, previous_hash,
                                                   progress, progress_every)
            if failure is not None:
                return failure
    beyond = [seq for seq in heads if seq > count]
    if beyond:
        return VerifyResult(False, count, min(beyond),
                            "an exported chain head is missing from the chain")
    head = db.session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    if head is not None and (head.seq != count or head.hash != previous_hash):
        return VerifyResult(False, count, count + 1, "newest events missing (head mismatch)")
    return VerifyResult(True, count, last_hash=previous_hash)


def _judge(entry: tuple[Future, str], count: int, previous_hash: str,
           progress: Callable[[int], None] | None, progress_every: int
           ) -> tuple[VerifyResult | None, int, str]:
    """Fold one checked batch into the running count; the failure if it broke."""
    future, last_hash = entry
    checked = future.result()
    before, count = count, count + checked.checked
    if checked.broken_at is not None:
        return VerifyResult(False, count, checked.broken_at, checked.reason), count, previous_hash
    if progress is not None:
        for multiple in range(before // progress_every + 1, count // progress_every + 1):
            progress(multiple * progress_every)
    return None, count, last_hash


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def stored_checkpoints() -> dict[int, str]:
    return dict(db.session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.hash)).all())
