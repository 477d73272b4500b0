"""The awaited_action table kept in step with the projects: what each project awaits from
whoever holds a role for one of its parties (see tadafur.workflow.models.AwaitedAction).

Why a table: deciding what awaits a programme officer means evaluating gates and guards over
every project of the programme; done per request it took 1.2 s at 3,000 projects. The rules
stay the Python ones (`awaited_actions`, the same that draw the buttons), evaluated once per
project and holder when the project changes instead of once per project and request.

How it stays true: a session hook notes every project touched by a flush (its own row, or
any row with a `project_id`, or one hanging from such a row) and, before the commit, recomputes
those projects' rows in the same transaction: a transition, a sign-off or an edit that makes a
guard pass or fail changes My tasks atomically with it, and a rollback undoes both. Readers
call `refresh_pending` first, so uncommitted changes of their own session are seen too.
Delegations and memberships are not in the rows (they are matched when the tasks are read),
so granting or revoking one needs no recomputation. Overdue is decided when read (due_at vs
now), never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction, selectinload
from sqlalchemy.orm.util import identity_key

from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role
from tadafur.projects.models import Project
from tadafur.workflow import counts
from tadafur.workflow.models import UNDATED, AwaitedAction
from tadafur.workflow.queries import GateFacts, available_actions, gate_facts, gate_status
from tadafur.workflow.registry import definition_of, due_at, registry

PENDING = "awaited_action.pending"  # session.info key: ids of projects touched, to recompute
DEFERRED = "awaited_action.deferred"  # session.info key: recompute at the end (`deferred`)
CHUNK = 500  # projects loaded at once by a rebuild (memory stays flat at any size)
# What the rules read of a project besides its columns (tadafur.workflow.guards, the content
# hash, the holders): a project whose copy has all of them loaded is not read again.
_COLLECTIONS = ("partners", "themes", "budget_lines", "activities", "indicators")
_READ = frozenset(_COLLECTIONS) | {"state", "workflow_name", "workflow_version"}


@dataclass(frozen=True)
class _Membership:
    role: str
    commune_id: int | None
    association_id: int | None
    institution_id: int | None = None


@dataclass(frozen=True)
class Holder:
    """Anyone holding `role` for `party` in organisation `organisation_id` (0: the
    programme): a stand-in user for the access rules, with that one membership and no
    delegation, so that the rows are computed by the very rules that draw the buttons."""

    party: str
    organisation_id: int
    role: str
    is_authenticated = True
    is_active = True
    received_delegations = ()

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset({Role(self.role)})

    def has_role(self, *roles: Role) -> bool:
        return Role(self.role) in roles

    @property
    def memberships(self) -> tuple[_Membership, ...]:
        org = self.organisation_id
        return (_Membership(self.role, org if self.party == "commune" else None,
                            org if self.party == "association" else None),)


def holders_of(project: Project) -> list[Holder]:
    """Every (party, organisation, role) that may act on `project`."""
    found = [Holder("commune", project.commune_id, str(role)) for role in COMMUNE_ROLES]
    found += [Holder("association", association_id, str(role))
              for association_id in sorted(project.association_ids)
              for role in ASSOCIATION_ROLES]
    return [*found, Holder("programme", 0, str(Role.PROGRAMME_OFFICER))]


def rows_for(project: Project, facts: GateFacts | None) -> list[dict[str, Any]]:
    """The awaited_action rows of `project`: sign-offs not yet given by the holder's party,
    primary next steps whose guards pass (blocked ones are never tasks)."""
    definition = definition_of(project)
    state = definition.states.get(project.state)
    if state is None or state.final:
        return []
    due = due_at(project)
    # The gate's status (its content hash above all) is the same for every holder.
    status = gate_status(project, definition, facts) if state.gate else None
    rows = []
    for holder in holders_of(project):
        triggers = [action.trigger
                    for action in available_actions(holder, project, facts, status)
                    if (action.kind == "signoff" or action.style == "primary")
                    and not action.blocked]
        if triggers:
            rows.append({"project_id": project.id, "party": holder.party,
                         "organisation_id": holder.organisation_id, "role": holder.role,
                         "triggers": " ".join(dict.fromkeys(triggers)), "due_at": due,
                         "sort_at": due or UNDATED})
    return rows


def _final_states() -> set[str]:
    return {name for d in registry().definitions.values()
            for name, state in d.states.items() if state.final}


def refresh(session: Session, project_ids: Iterable[int]) -> int:
    """Recompute the rows of `project_ids` (missing projects lose theirs). Returns the
    number of rows written."""
    ids = sorted(set(project_ids))
    table = AwaitedAction.__table__
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        # The project rows' lock (tadafur.projects.rowlock; usually held already): a
        # concurrent writer of the same project waits here, then sees the rows committed
        # before it, instead of inserting beside them.
        session.execute(select(Project.id).where(Project.id.in_(chunk))
                        .order_by(Project.id).with_for_update())
        session.execute(table.delete().where(table.c.project_id.in_(chunk)))
        projects = _projects(session, chunk)
        facts = gate_facts(projects)
        rows = [row for p in projects for row in rows_for(p, facts[p.id])]
        if rows:
            session.execute(table.insert(), rows)
        written += len(rows)
    return written


def _projects(session: Session, ids: list[int]) -> list[Project]:
    """The projects of `ids` not in a final state, with what the rules read of them.

    A project this session holds already, its collections loaded, is taken as it is (a
    transition or an edit has just loaded it, and the session's copy is the one just flushed:
    the query below would hand back that same object too, without refreshing it); the others
    are loaded, their collections in one query each."""
    final = _final_states()
    held, missing = [], []
    for project_id in ids:
        project = session.identity_map.get(identity_key(Project, project_id))
        state = inspect(project) if project is not None else None
        if state is not None and state.persistent and not (state.unloaded & _READ):
            held.append(project)
        else:
            missing.append(project_id)
    if missing:
        held += session.scalars(
            select(Project).where(Project.id.in_(missing))
            .options(*(selectinload(getattr(Project, name)) for name in _COLLECTIONS)))
    return sorted((p for p in held if p.state not in final), key=lambda p: p.id)


def rebuild(session: Session) -> int:
    """Recompute every project's rows, and the counts per state (after a migration, a
    restore or raw inserts such as the benchmark's seed). Returns the number of rows
    written."""
    counts.rebuild(session)
    session.execute(AwaitedAction.__table__.delete())
    ids = session.scalars(select(Project.id).where(Project.state.not_in(_final_states())))
    return refresh(session, list(ids))


# ------------------------------------------------------------------ the session hook


def _project_of(obj: Any) -> int | None:
    """The project a flushed row belongs to, without loading anything: its own id for a
    project, its `project_id`, or that of a loaded many-to-one parent (an evaluation score
    belongs to its entry, which names the project)."""
    if isinstance(obj, AwaitedAction):
        return None
    state = inspect(obj)
    if isinstance(obj, Project):
        return state.dict.get("id")
    if "project_id" in state.mapper.columns:
        return state.dict.get("project_id")
    for relationship in state.mapper.relationships:
        if relationship.direction.name == "MANYTOONE":
            parent = state.dict.get(relationship.key)
            if parent is not None and "project_id" in inspect(parent).mapper.columns:
                return inspect(parent).dict.get("project_id")
    return None


def _collect(session: Session, _context: Any) -> None:
    counts.collect(session)
    pending = session.info.setdefault(PENDING, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        project_id = _project_of(obj)
        if project_id is not None:
            pending.add(project_id)


def refresh_pending(session: Session) -> None:
    """Flush, then recompute the projects this session touched since the last time."""
    session.flush()
    while session.info.get(PENDING):
        refresh(session, session.info.pop(PENDING))
        session.flush()
    counts.apply(session)


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Batch work that commits at every step (the demo seed walks 19 projects through
    about 200 of them): the projects touched are recomputed once, when it ends, instead of
    at each commit (a quarter of the demo seed's time). Nothing is recomputed if it fails:
    its caller rolls back."""
    session.info[DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(DEFERRED, None)
    refresh_pending(session)


def _before_commit(session: Session) -> None:
    if session.info.get(DEFERRED):
        return
    refresh_pending(session)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint (an eager job's): the projects touched before it still count
    session.info.pop(PENDING, None)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    counts.forget(session, previous)  # pending ids may stay: recomputing more is harmless


def install() -> None:
    """Listen to every session (idempotent): called once by tadafur.wiring."""
    for name, listener in (("after_flush", _collect), ("before_commit", _before_commit),
                           ("after_rollback", _after_rollback),
                           ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
