"""How many fire() transitions per second on PostgreSQL (each in its own committed transaction).

    TADAFUR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wf_test \\
        .venv/bin/python benchmarks/workflow_fire.py [rounds]

DROPS AND REBUILDS the schema of the given database. Builds a project in execution, then times
suspend/resume pairs by the programme officer: lock the row, check permission and comment,
build the per-call Machine, write the history row and the audit event, commit. Prints the
median time of one fire() + commit and the transitions per second it implies.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(rounds: int = 500) -> None:
    url = os.environ.get("TADAFUR_BENCH_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("set TADAFUR_BENCH_DATABASE_URL to a PostgreSQL database you may wipe")
    from tests.conftest import make_app
    from tests.workflow import doubles  # the fake convention: no PDF rendering timed

    app = make_app(url)
    with app.app_context():
        from sqlalchemy import select

        from tadafur.accounts.models import Role
        from tadafur.extensions import db
        from tadafur.organisations.models import Commune, Institution
        from tadafur.organisations.services import seed_reference_data
        from tadafur.testing import build_schema
        from tadafur.workflow import hooks, services
        from tests.factories import make_association, make_user
        from tests.workflow.conftest import build_project, to_state

        hooks.DOCUMENT_PRODUCERS["convention"] = doubles.fake_convention_producer
        hooks.DOCUMENT_LOOKUP[:] = [doubles.fake_lookup]
        hooks.GATE_COMPLETED[:] = []
        build_schema()
        seed_reference_data()
        commune = db.session.scalar(select(Commune).where(Commune.is_partner).limit(1))
        enabel = db.session.scalar(select(Institution).where(Institution.code == "enabel"))
        association = make_association(commune)
        people = {
            "agent": make_user(Role.COMMUNE_AGENT, commune),
            "president": make_user(Role.COMMUNE_SIGNATORY, commune),
            "member": make_user(Role.ASSOCIATION_MEMBER, association),
            "chair": make_user(Role.ASSOCIATION_SIGNATORY, association),
            "officer": make_user(Role.PROGRAMME_OFFICER, enabel),
        }
        project = build_project(commune, association, people["agent"])
        db.session.commit()
        to_state(project, "in_execution", **people)
        officer = people["officer"]
        timings = []
        for i in range(rounds * 2):
            trigger = "suspend" if i % 2 == 0 else "resume"
            started = time.perf_counter()
            services.fire(officer, project, trigger, comment="benchmark")
            db.session.commit()
            timings.append(time.perf_counter() - started)
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"fire() + commit on PostgreSQL, {len(timings)} transitions: "
              f"median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
              f"{1 / median:.0f} transitions/s (one connection)")
        from tadafur.workflow.engine import next_state

        definition = services.definition_of(project)
        machine_runs = []
        for _ in range(2000):
            started = time.perf_counter()
            next_state(definition, "in_execution", "suspend")
            machine_runs.append(time.perf_counter() - started)
        print(f"per-call Machine (build + trigger): median "
              f"{statistics.median(machine_runs) * 1e6:.0f} µs")
        build_schema()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
