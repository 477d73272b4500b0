"""My tasks at the programme's scale (issue 18): the home page panel of the programme-wide
roles (programme officer, ministry reviewer, administrator) stays under 50 ms p95 at 3,000
projects and at 30,000, and the work it costs the database stays within 1.5x. Projects are
cloned with bulk inserts (three templates walked through the real workflow: draft, submitted,
convention signature), with their awaited_action rows, as the benchmark's seed does.

Why growth is judged by the database's work and not by the clock: on this 2-core virtual
machine the same panel's median moves by up to 2x from one series to the next (CI saw the
reviewer's constant panel go from 0.35 to 0.59 ms between the two sizes, and the officer's
from 2.5 to 6.4 ms, while the same data measured 3.0 and 3.5 ms on a quiet run). What grows
with the programme is what the statements touch: SQLite's virtual-machine steps, PostgreSQL's
buffer pages; both are counted exactly, run after run. Times are still measured, printed and
held to the 50 ms budget at both sizes."""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time

import pytest
from sqlalchemy import event, func, select, text

from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune
from tadafur.projects.dashboard import my_tasks_panel
from tadafur.projects.models import Project
from tadafur.workflow import counts
from tadafur.workflow.models import UNDATED, AwaitedAction
from tests.workflow.conftest import act, to_state

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # times itself
RUNS = 40
CHUNK = 5000


def _templates(make_project, people) -> list[Project]:
    draft, submitted, signing = make_project(), make_project(), make_project()
    to_state(signing, "convention_signature", **people)
    act(people["president"], submitted, "signoff:endorsement")
    act(people["chair"], submitted, "signoff:endorsement")
    act(people["agent"], submitted, "submit")
    db.session.commit()
    return [draft, submitted, signing]


def _clone(templates: list[Project], count: int, communes: list[int],
           rng: random.Random) -> None:
    """`count` more projects, round-robin over the templates and the communes, each with
    its template's awaited rows moved to its commune and its own dates."""
    table, awaited = Project.__table__, AwaitedAction.__table__
    sources = {t.id: (db.session.execute(select(table).where(table.c.id == t.id)).one()._asdict(),
                      [r._asdict() for r in db.session.execute(
                          select(awaited).where(awaited.c.project_id == t.id))])
               for t in templates}
    next_id = db.session.scalar(select(func.max(table.c.id))) + 1
    now = utcnow()
    projects, rows = [], []
    for n in range(count):
        project, template_rows = sources[templates[n % len(templates)].id]
        entered = now - dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 999))
        clone = dict(project, id=next_id + n, reference=f"TDF-SCALE-{next_id + n:07d}",
                     commune_id=communes[n % len(communes)], state_entered_at=entered)
        projects.append(clone)
        for row in template_rows:
            due = row["due_at"] and entered + (row["due_at"] - project["state_entered_at"])
            organisation = clone["commune_id"] if row["party"] == "commune" \
                else row["organisation_id"]
            rows.append({k: v for k, v in row.items() if k != "id"} | {
                "project_id": clone["id"], "organisation_id": organisation, "due_at": due,
                "sort_at": due or UNDATED})
    for start in range(0, len(projects), CHUNK):
        db.session.execute(table.insert(), projects[start:start + CHUNK])
    for start in range(0, len(rows), CHUNK):
        db.session.execute(awaited.insert(), rows[start:start + CHUNK])
    counts.rebuild(db.session)
    db.session.execute(text("ANALYZE"))


def _timings(app, user) -> list[float]:
    """Milliseconds per My tasks panel (its queries and their Python), as a request runs it."""
    found = []
    for _ in range(RUNS):
        db.session.expire_all()  # a request starts from a fresh session...
        assert user.active and user.memberships is not None  # ...where log-in loaded the user
        with app.test_request_context("/"):
            started = time.perf_counter()
            my_tasks_panel(user)
            found.append((time.perf_counter() - started) * 1000)
    return found


def _work(app, user) -> int:
    """What one My tasks panel costs the database: SQLite's virtual-machine steps, or the
    PostgreSQL buffer pages (hit or read) of its statements as EXPLAIN ANALYZE counts them."""
    db.session.expire_all()
    assert user.active and user.memberships is not None
    connection = db.session.connection()
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.dbapi_connection.set_progress_handler(step, 1)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with app.test_request_context("/"):
            my_tasks_panel(user)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        if sqlite:
            connection.connection.dbapi_connection.set_progress_handler(None, 1)
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s, _ in statements)
    if sqlite:
        return steps[0]
    pages = 0
    for statement, parameters in statements:
        plan = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
        top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        pages += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    return pages


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def test_my_tasks_of_programme_wide_roles_do_not_grow_with_the_programme(
        app, dialect, make_project, agent, president, chair, officer, member, reviewer, admin):
    people = {"agent": agent, "president": president, "chair": chair, "officer": officer,
              "member": member}
    templates = _templates(make_project, people)
    communes = list(db.session.scalars(select(Commune.id).order_by(Commune.id).limit(60)))
    rng = random.Random(18)
    roles = {"officer": officer, "reviewer": reviewer, "admin": admin}
    measured: dict[int, dict[str, list[float]]] = {}
    work: dict[int, dict[str, int]] = {}
    for size in (3_000, 30_000):
        have = db.session.scalar(select(func.count()).select_from(Project))
        _clone(templates, size - have, communes, rng)
        assert db.session.scalar(select(func.count()).select_from(Project)) == size
        assert sum(n for _state, n in counts.programme_counts(db.session)) == size
        measured[size] = {name: _timings(app, user) for name, user in roles.items()}
        work[size] = {name: _work(app, user) for name, user in roles.items()}
    with app.test_request_context("/"):
        entries = my_tasks_panel(officer).context["entries"]
    assert len(entries) == 50 and entries[0].overdue
    unit = "VM steps" if dialect == "sqlite" else "buffer pages"
    for name in roles:
        small, large = measured[3_000][name], measured[30_000][name]
        print(f"{dialect} {name}: 3k median {statistics.median(small):.2f} ms p95 "
              f"{_p95(small):.2f} ms, {work[3_000][name]} {unit}; 30k median "
              f"{statistics.median(large):.2f} ms p95 {_p95(large):.2f} ms, "
              f"{work[30_000][name]} {unit}")
    for name in roles:
        small, large = measured[3_000][name], measured[30_000][name]
        assert _p95(small) < 50 and _p95(large) < 50, (name, small, large)
        assert work[30_000][name] <= 1.5 * work[3_000][name], (name, work)
