"""Projects per commune and state (the project_state_count table), kept by deltas.

Why deltas and not a recount: two transactions moving projects of the same commune at once
would each recount from their own snapshot and the last to commit would lose the other's
move; `n = n + delta` upserts add up, whatever the order (keys applied sorted, so two
transactions never wait on each other's rows crosswise).

A flush notes the moves of Project rows (created, state or commune changed, deleted) under
the innermost transaction open; a savepoint rolled back drops its own, so a refused
transition that had flushed leaves the counts alone. The root commit applies what is left.
Rows written without the ORM (the benchmark's seed) need `flask tasks rebuild`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from tadafur.projects.models import Project
from tadafur.workflow.models import StateCount

DELTAS = "project_state_count.deltas"  # session.info: [(transaction, Counter)]


def _was(obj: Project, key: str) -> Any:
    """The value `key` had before this flush (the current one when unchanged)."""
    history = inspect(obj).attrs[key].history
    return history.deleted[0] if history.deleted else getattr(obj, key)


def collect(session: Session) -> None:
    """Note this flush's project moves (called by the after_flush hook)."""
    delta: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Project):
            delta[(obj.commune_id, obj.state)] += 1
    for obj in session.deleted:
        if isinstance(obj, Project):
            delta[(_was(obj, "commune_id"), _was(obj, "state"))] -= 1
    for obj in session.dirty:
        if isinstance(obj, Project) and obj not in session.deleted:
            before = (_was(obj, "commune_id"), _was(obj, "state"))
            if before != (obj.commune_id, obj.state):
                delta[before] -= 1
                delta[(obj.commune_id, obj.state)] += 1
    delta = Counter({k: v for k, v in delta.items() if v})
    if delta:
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(DELTAS, []).append((transaction, delta))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def forget(session: Session, ended: SessionTransaction) -> None:
    """A (savepoint or root) transaction rolled back: drop the deltas noted under it."""
    kept = [(t, d) for t, d in session.info.get(DELTAS, []) if not _within(t, ended)]
    session.info[DELTAS] = kept


def apply(session: Session) -> None:
    """Add the deltas noted so far to the table (before the root commit)."""
    total: Counter = Counter()
    for _transaction, delta in session.info.pop(DELTAS, []):
        total.update(delta)
    for (commune_id, state), n in sorted(total.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if n:
            session.execute(_upsert(session, commune_id, state, n))


def _upsert(session: Session, commune_id: int, state: str, n: int) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StateCount.__table__).values(commune_id=commune_id, state=state,
                                                             n=n)
    return statement.on_conflict_do_update(
        index_elements=["commune_id", "state"],
        set_={"n": StateCount.__table__.c.n + statement.excluded.n})


def rebuild(session: Session) -> None:
    """Recount every commune's projects per state."""
    table = StateCount.__table__
    session.execute(table.delete())
    session.execute(table.insert().from_select(
        ["commune_id", "state", "n"],
        select(Project.commune_id, Project.state, func.count()).group_by(
            Project.commune_id, Project.state)))


def programme_counts(session: Session) -> list[tuple[str, int]]:
    """Projects per state across the programme (the programme-wide roles' home page)."""
    total = func.sum(StateCount.n)
    return [(state, int(n)) for state, n in session.execute(
        select(StateCount.state, total).group_by(StateCount.state).having(total > 0))]
