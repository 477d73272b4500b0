"""Who logs in: the accounts of every role and what each may see, read from the seeded database.

Re-read before every Locust run: a run's presidents and chairs sign drafts, so the next run must
only be offered the drafts still awaiting them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from benchmarks.mix import PROGRAMME_ROLES, ROLES, Account
from benchmarks.seed import BENCH_PASSWORD, bench_url

DEMO_PASSWORD = "tadafur-demo-2026"


def plan_accounts(per_role: int) -> dict[str, list[Account]]:
    """`per_role` accounts of each role. Programme roles share their demo account (there is one
    officer, reviewer and admin in the demo); commune and association roles each get their own
    commune (one with at least four drafts, or one at a small scale), spread round-robin."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(bench_url()).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(dsn) as connection:
        def ids(sql: str, *args) -> list[int]:
            return [r[0] for r in connection.execute(sql, args)]

        everything = ids("SELECT id FROM project ORDER BY id")
        all_documents = ids("SELECT id FROM registered_document ORDER BY id")
        communes: list[int] = []
        for enough in (4, 1):  # a small seed (--scale) has fewer drafts per commune
            communes = communes or ids(
                "SELECT commune_id FROM project GROUP BY commune_id HAVING count(*) "
                "FILTER (WHERE state = 'draft') >= %s ORDER BY commune_id", enough)
        plan: dict[str, list[Account]] = {role: [] for role in ROLES}
        for n in range(per_role * len(ROLES)):
            role = ROLES[n % len(ROLES)]
            if role in PROGRAMME_ROLES:
                plan[role].append(Account(role, f"{role}@demo.tadafur.ma", DEMO_PASSWORD,
                                          everything, all_documents))
            else:
                plan[role].append(_local_account(ids, role, communes[n % len(communes)]))
        return plan


def _local_account(ids, role: str, commune: int) -> Account:
    """A commune or association account of `commune`, with its projects and drafts to sign."""
    if role in ("agent", "president"):
        projects = ids("SELECT id FROM project WHERE commune_id = %s", commune)
        email = f"{role}-{commune}@bench.tadafur.ma"
        party = "commune"
    else:
        association = ids("SELECT lead_association_id FROM project WHERE commune_id = %s"
                          " AND state = 'draft' GROUP BY lead_association_id "
                          "ORDER BY count(*) DESC LIMIT 1", commune)[0]
        projects = ids("SELECT id FROM project WHERE lead_association_id = %s UNION "
                       "SELECT project_id FROM project_partner WHERE association_id = %s",
                       association, association)
        email = f"{role}-{association}@bench.tadafur.ma"
        party = "association"
    documents = ids("SELECT id FROM registered_document WHERE project_id = ANY(%s)", projects)
    # Drafts whose endorsement awaits this party: My tasks' table says so (a complete
    # proposal, not yet signed by the party); an incomplete one is refused (issue 17).
    drafts = ids("SELECT DISTINCT p.id FROM project p JOIN awaited_action a ON "
                 "a.project_id = p.id WHERE p.id = ANY(%s) AND p.state = 'draft' "
                 "AND a.party = %s AND a.triggers LIKE '%%signoff:endorsement%%' "
                 "ORDER BY p.id", projects, party) if role in ("president", "chair") else []
    return Account(role, email, BENCH_PASSWORD, projects, documents, drafts, commune)


def write_plan(plan: dict[str, list[Account]], path: Path, *, sign: bool = True) -> None:
    """The plan as JSON for the Locust process; without `sign`, no drafts (no POSTs)."""
    data = {role: [{**asdict(a), "drafts": a.drafts if sign else []} for a in accounts]
            for role, accounts in plan.items()}
    path.write_text(json.dumps(data))


def read_plan(path: Path) -> dict[str, list[Account]]:
    return {role: [Account(**a) for a in accounts]
            for role, accounts in json.loads(path.read_text()).items()}
