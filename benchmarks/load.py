"""Drive the seeded database through gunicorn with logged-in users of every role; report.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 90] [--workers 2]

Needs the database that benchmarks/seed.py filled (TADAFUR_BENCH_DATABASE_URL). Starts
`gunicorn --workers N wsgi:app` on a free port with the floor endpoint on
(TADAFUR_BENCH_FLOOR=1) and CSRF on, logs in the virtual users through the real login form,
then each user loops for the given time: pick a request from its role's mix, send it, wait a
think time (uniform 0.5-1.5 s, a person reading the page). The floor (/_bench/floor: Flask plus
one primary-key query) is part of every user's mix, so it is measured on the same server, under
the same load, in the same run. Writes benchmarks/report.json and benchmarks/REPORT.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.seed import BENCH_PASSWORD, DATA_DIR, bench_url  # noqa: E402

DEMO_PASSWORD = "tadafur-demo-2026"
TABS = ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history")
BUDGET_MS = 100.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class VirtualUser:
    role: str
    email: str
    password: str
    projects: list[int]
    documents: list[int]
    drafts: list[int] = field(default_factory=list)  # where this user's party may sign
    commune_id: int | None = None
    csrf: str = ""


# ---------------------------------------------------------------- who logs in

def plan_users(count: int) -> list[VirtualUser]:
    """`count` users over every role, with what each may see (read from the database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(bench_url()).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(dsn) as connection:
        def ids(sql: str, *args) -> list[int]:
            return [r[0] for r in connection.execute(sql, args)]

        everything = ids("SELECT id FROM project ORDER BY id")
        all_documents = ids("SELECT id FROM registered_document ORDER BY id")
        communes = ids("SELECT commune_id FROM project GROUP BY commune_id "
                       "HAVING count(*) FILTER (WHERE state = 'draft') >= 4 ORDER BY commune_id")
        roles = ["officer", "reviewer", "admin", "agent", "president", "member", "chair"]
        users = []
        for n in range(count):
            role = roles[n % len(roles)]
            if role in ("officer", "reviewer", "admin"):
                users.append(VirtualUser(role, f"{role}@demo.tadafur.ma", DEMO_PASSWORD,
                                         everything, all_documents))
                continue
            commune = communes[n % len(communes)]
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
            documents = ids("SELECT id FROM registered_document WHERE project_id = ANY(%s)",
                            projects)
            drafts = ids("SELECT p.id FROM project p WHERE p.id = ANY(%s) AND p.state = 'draft' "
                         "AND NOT EXISTS (SELECT 1 FROM workflow_signoff s WHERE "
                         "s.project_id = p.id AND s.gate = 'endorsement' AND s.valid AND "
                         "s.party = %s AND s.round = (SELECT max(seq) FROM "
                         "workflow_transition t WHERE t.project_id = p.id))",
                         projects, party) if role in ("president", "chair") else []
            users.append(VirtualUser(role, email, BENCH_PASSWORD, projects, documents,
                                     drafts, commune))
        return users


# ---------------------------------------------------------------- what each role does

def choose(user: VirtualUser, rng: random.Random) -> tuple[str, str, str, dict | None]:
    """(label, method, url, form) of the next request of `user`."""
    project = rng.choice(user.projects)
    mix: list[tuple[int, tuple]] = [
        (3, ("my tasks", "GET", "/", None)),
        (3, ("project list with filters", "GET", rng.choice([
            "/projects?state=draft", "/projects?phase=execution&q=jeunes",
            f"/projects?state=in_execution&commune={user.commune_id or ''}",
            "/projects?overdue=1", "/projects?q=Espace"]), None)),
        (3, ("project page", "GET", f"/projects/{project}", None)),
        (4, ("project tab", "GET", f"/projects/{project}/tabs/{rng.choice(TABS)}", None)),
        (2, ("floor", "GET", f"/_bench/floor?id={project}", None)),
    ]
    if user.documents:
        mix.append((1, ("document download", "GET",
                        f"/documents/{rng.choice(user.documents)}/download", None)))
    if user.role in ("officer", "reviewer", "admin", "agent", "president"):
        mix.append((2, ("audit search", "GET", rng.choice([
            "/audit/?q=submitted", "/audit/?action=signoff.",
            f"/audit/?project={project}", "/audit/?actor=user42@example.org"]), None)))
    if user.drafts:
        draft = user.drafts[-1]
        mix.append((1, ("sign-off POST", "POST", f"/projects/{draft}/act", {
            "trigger": "signoff:endorsement", "decision": "approve",
            "password": user.password})))
    weights = [w for w, _ in mix]
    return rng.choices([m for _, m in mix], weights=weights)[0]


async def log_in(session: aiohttp.ClientSession, base: str, user: VirtualUser) -> None:
    async with session.get(f"{base}/login") as response:
        token = CSRF.search(await response.text()).group(1)
    async with session.post(f"{base}/login", data={
            "email": user.email, "password": user.password, "csrf_token": token},
            allow_redirects=False) as response:
        if response.status not in (302, 303):
            raise SystemExit(f"login of {user.email} failed: {response.status}")
    async with session.get(f"{base}/projects") as response:
        user.csrf = CSRF.search(await response.text()).group(1)


async def run_user(base: str, session: aiohttp.ClientSession, user: VirtualUser,
                   until: float, measure_from: float, samples: dict[str, list[float]],
                   errors: dict[str, dict[int, int]], seed: int,
                   think: tuple[float, float] = (0.5, 1.5)) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, 1))
    while time.monotonic() < until:
        label, method, url, form = choose(user, rng)
        extra = {"HX-Request": "true"} if label == "project tab" else {}
        if form is not None:
            form = {**form, "csrf_token": user.csrf}
        started = time.monotonic()
        async with session.request(method, base + url, data=form, headers=extra,
                                   allow_redirects=False) as response:
            await response.read()
            status = response.status
        elapsed = (time.monotonic() - started) * 1000
        if label == "sign-off POST":
            user.drafts.pop()
        if started >= measure_from:
            samples.setdefault(label, []).append(elapsed)
            if status >= 400:
                errors.setdefault(label, {}).setdefault(status, 0)
                errors[label][status] += 1
        await asyncio.sleep(rng.uniform(*think))


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict:
    return dict(os.environ, TADAFUR_DATABASE_URL=bench_url(), TADAFUR_BENCH_FLOOR="1",
                TADAFUR_SECRET_KEY="bench-secret-key-not-for-production",
                TADAFUR_DOCUMENTS_DIR=str(DATA_DIR / "documents"),
                TADAFUR_SEAL_DIR=str(DATA_DIR / "seal"), TADAFUR_SEED_DEMO_DATA="0")


def start_job_worker() -> subprocess.Popen:
    """The job worker production runs beside the app servers (README, "Jobs"): the PDFs of
    the sign-offs the run completes are rendered there, off the measured requests."""
    return subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi",
                             "worker"], cwd=ROOT, env=server_env())


def start_server(port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    env = server_env()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers),
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def worker_rss(server: subprocess.Popen) -> list[float]:
    """Resident memory (MiB) of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


# ---------------------------------------------------------------- the machine and the report

def machine() -> dict:
    import psycopg
    from sqlalchemy.engine import make_url

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                  .splitlines() if line.startswith("MemTotal:"))
    dsn = make_url(bench_url()).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(dsn) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(memory / 1024 / 1024, 1),
            "postgresql": postgres, "python": platform.python_version(),
            "os": platform.platform(), "git_commit": commit + ("+changes" if dirty else "")}


def summarise(samples: dict[str, list[float]], errors: dict, seconds: float) -> dict:
    floor = samples.get("floor", [1.0])
    floor_p50, floor_p95 = _pct(floor, 50), _pct(floor, 95)
    rows = {}
    for label, values in sorted(samples.items()):
        p50, p95, p99 = _pct(values, 50), _pct(values, 95), _pct(values, 99)
        rows[label] = {"requests": len(values), "per_second": round(len(values) / seconds, 2),
                       "p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
                       "p50_vs_floor": round(p50 / floor_p50, 1),
                       "p95_vs_floor": round(p95 / floor_p95, 1),
                       "within_budget": p95 < BUDGET_MS, "errors": errors.get(label, {})}
    return rows


def _pct(values: list[float], percentile: int) -> float:
    if len(values) < 2:
        return round(values[0], 1) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[percentile - 1], 1)


def write_report(report: dict) -> None:
    (ROOT / "benchmarks" / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    m, run = report["machine"], report["run"]
    lines = [
        "# Benchmark report", "",
        f"Generated by `make bench` on {run['finished_at']} (git {m['git_commit']}).", "",
        "## Machine", "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']}",
        f"- PostgreSQL {m['postgresql']}, Python {m['python']}",
        f"- Load average (1, 5, 15 min) at the start: {run['load_start']}, at the end: "
        f"{run['load_end']}. The load generator, gunicorn and PostgreSQL share these cores; "
        "a load average above the core count means other work was running too.", "",
        "## Data", "",
        *[f"- {k.replace('_', ' ')}: {v}" for k, v in report["data"]["counts"].items()
          if k != "states"],
        f"- states: {', '.join(f'{k} {v}' for k, v in report['data']['counts']['states'].items())}",
        f"- document bytes: {report['data']['document_bytes']}",
        f"- seeding took {report['data']['total_seconds']} s "
        f"({'; '.join(f'{k} {v} s' for k, v in report['data']['seconds'].items())})", "",
        "## Run", "",
        f"- gunicorn, {run['workers']} sync workers; {run['users']} concurrent logged-in users "
        f"({', '.join(f'{k} {v}' for k, v in run['roles'].items())}), each waiting "
        f"0.5-1.5 s between requests; {run['warmup_seconds']} s warm-up then "
        f"{run['seconds']} s measured; CSRF on; Accept-Language ar.",
        f"- memory per worker (RSS, MiB) at the end: {run['worker_rss_mib']}",
        "- floor: `/_bench/floor`, Flask plus one primary-key query on the same server.", "",
        "## Results", "",
        f"Budget: p95 under {BUDGET_MS:.0f} ms for every page.", "",
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | p50 / floor | p95 / floor "
        "| p95 < budget | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for label, row in report["results"].items():
        lines.append(
            f"| {label} | {row['requests']} | {row['per_second']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['p50_vs_floor']} | "
            f"{row['p95_vs_floor']} | {'yes' if row['within_budget'] else 'NO'} | "
            f"{row['errors'] or '-'} |")
    lines += ["", f"Total: {run['total_requests']} requests, {run['throughput']} req/s.", "",
              "## One user, no think time (service time, without queueing)", "",
              "Before the run above, one commune president sends requests back to back for "
              f"{run['solo_seconds']} s: what each page costs when it does not wait behind others.",
              "", "| endpoint | requests | p50 ms | p95 ms | p50 / floor |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for label, row in report["solo"].items():
        lines.append(f"| {label} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{row['p50_vs_floor']} |")
    lines.append("")
    if report.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in report["notes"]], ""]
    (ROOT / "benchmarks" / "REPORT.md").write_text("\n".join(lines))


NOTES = [
    "The sign-off POST checks the signer's password (scrypt, the production default) on "
    "purpose: re-entering the password is what makes it a signature. Most of its time is "
    "that hash.",
    "Clone projects share their template's texts; their audit events are synthetic (random "
    "actions over the projects and communes), correctly chained.",
]


async def drive(base: str, users: list[VirtualUser], warmup: float, seconds: float,
                think: tuple[float, float] = (0.5, 1.5)):
    """Log every user in first (the logins' password hashing is not part of the run), then
    let them loop: `warmup` seconds unmeasured, then `seconds` measured."""
    samples: dict[str, list[float]] = {}
    errors: dict[str, dict[int, int]] = {}
    sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                      headers={"Accept-Language": "ar"}) for _ in users]
    try:
        await asyncio.gather(*(log_in(s, base, u) for s, u in zip(sessions, users,
                                                                  strict=True)))
        start = time.monotonic()
        measure_from = start + warmup
        until = measure_from + seconds
        await asyncio.gather(*(run_user(base, s, u, until, measure_from, samples, errors, n,
                                        think)
                               for n, (s, u) in enumerate(zip(sessions, users, strict=True))))
    finally:
        for session in sessions:
            await session.close()
    return samples, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (gunicorn's gthread worker when above 1)")
    parser.add_argument("--solo-seconds", type=float, default=20,
                        help="first, one user without think time: the service time per page")
    parser.add_argument("--seed-report", default=str(DATA_DIR / "seed.json"))
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]
    users = plan_users(args.users)
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    job_worker = start_job_worker()
    try:
        base = f"http://127.0.0.1:{port}"
        solo_user = next(u for u in plan_users(args.users) if u.role == "president")
        solo_user.drafts = []  # the run's own president signs those: no sign-off here
        solo, solo_errors = asyncio.run(drive(base, [solo_user], 3, args.solo_seconds, (0, 0)))
        samples, errors = asyncio.run(drive(base, users, args.warmup, args.seconds))
        rss = worker_rss(server)
    finally:
        server.terminate()
        job_worker.terminate()
        server.wait(timeout=30)
        job_worker.wait(timeout=30)
    roles: dict[str, int] = {}
    for user in users:
        roles[user.role] = roles.get(user.role, 0) + 1
    total = sum(len(v) for v in samples.values())
    report = {
        "machine": machine(),
        "data": json.loads(Path(args.seed_report).read_text()),
        "run": {"workers": args.workers, "users": args.users, "roles": roles,
                "seconds": args.seconds, "warmup_seconds": args.warmup,
                "solo_seconds": args.solo_seconds,
                "think_time_seconds": [0.5, 1.5], "worker_rss_mib": rss,
                "load_start": load_start, "load_end": [round(x, 2) for x in os.getloadavg()],
                "total_requests": total, "throughput": round(total / args.seconds, 1),
                "finished_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
        "results": summarise(samples, errors, args.seconds),
        "solo": summarise(solo, solo_errors, args.solo_seconds),
        "notes": NOTES,
    }
    write_report(report)
    print((ROOT / "benchmarks" / "REPORT.md").read_text())


if __name__ == "__main__":
    main()
