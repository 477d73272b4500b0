"""Drive the seeded database through gunicorn with Locust, users of every role; report.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 90] [--workers 2]
        [--more-workers 4] [--ramp 20,40,60,80,100] [--solo-seconds 15] [--showcase-runs 30]

Needs the database that benchmarks/seed.py filled (TADAFUR_BENCH_DATABASE_URL). Each phase
is one headless Locust run (benchmarks/locustfile.py, a process of its own: Locust patches its
process with gevent) against `gunicorn --workers N` started with the floor and the
Server-Timing header on, CSRF on:

1. one user of each role alone, back to back, no think time: what each page costs that role
   when it does not wait behind others (the programme roles see all the projects);
2. `--users` users of every role, think time 0.5-1.5 s, `--workers` workers: warm-up, then
   `--seconds` measured;
3. the same with `--more-workers` workers (0 skips), then the ramp: `--ramp` users in steps
   of `--step-seconds`, with think time, on that same server: throughput and the knee;
4. the servers stopped, the showcase (benchmarks/showcase.py, `--showcase-runs` requests per
   page, 0 skips): its list and search pages over the projects the seed published, timed one
   user at a time, in this process (issue 19's budget).

Every load phase records client and server time per request, the load generator's own CPU
time (getrusage of the Locust process), the workers' memory and the machine's load average.
Writes benchmarks/report.json and benchmarks/REPORT.md (benchmarks/markdown.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import report, showcase  # noqa: E402
from benchmarks.markdown import write  # noqa: E402
from benchmarks.mix import ROLES  # noqa: E402
from benchmarks.plan import plan_accounts, write_plan  # noqa: E402
from benchmarks.seed import DATA_DIR  # noqa: E402
from benchmarks.server import Server, load_average, machine  # noqa: E402

LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
THINK = (0.5, 1.5)
SPAWN_RATE = 10  # users per second; the logins come before the warm-up ends
NOTES = [
    "The sign-off POST checks the signer's password (scrypt, the production default) on "
    "purpose: re-entering the password is what makes it a signature; so does the login POST.",
    "Client time is Locust's (FastHttpUser); server time is the Server-Timing header, measured "
    "inside the worker from the WSGI call to the headers. The difference is the wait in "
    "gunicorn's queue, the network and the load generator's own delays.",
    "Client percentiles come from Locust's histogram (1 ms buckets below 100 ms, 10 ms below "
    "1 s); server percentiles are exact. POSTs count every sample of the phase, logins "
    "included.",
    "Clone projects share their template's texts; their audit events are synthetic (random "
    "actions over the projects and communes), correctly chained.",
]


def run_locust(server: Server, name: str, per_role: int, *, users: int | None = None,
               classes: list[str] | None = None, think: tuple[float, float] = THINK,
               warmup: float = 0, seconds: float = 0, ramp: tuple[list[int], float] | None = None,
               sign: bool = True) -> dict:
    """One headless Locust run; what it wrote, plus its CPU time and the load meanwhile."""
    work = DATA_DIR / "locust"
    work.mkdir(parents=True, exist_ok=True)
    plan_path, output = work / f"{name}-plan.json", work / f"{name}.json"
    output.unlink(missing_ok=True)
    write_plan(plan_accounts(per_role), plan_path, sign=sign)
    env = dict(os.environ, TADAFUR_BENCH_PLAN=str(plan_path), TADAFUR_BENCH_OUTPUT=str(output),
               TADAFUR_BENCH_THINK=f"{think[0]},{think[1]}")
    command = [str(Path(sys.executable).parent / "locust"), "--headless", "--only-summary",
               "--host", server.base, "--loglevel", "WARNING"]
    if ramp:
        steps, step_seconds = ramp
        env.update(TADAFUR_BENCH_STEPS=",".join(map(str, steps)),
                   TADAFUR_BENCH_STEP_SECONDS=str(step_seconds))
        command += ["-f", f"{LOCUSTFILE},{LOCUSTFILE.parent / 'ramp.py'}",
                    "--run-time", f"{int(len(steps) * step_seconds + 60)}s"]
    else:
        env.update(TADAFUR_BENCH_WARMUP=str(warmup), TADAFUR_BENCH_SECONDS=str(seconds))
        command += ["-f", str(LOCUSTFILE), "-u", str(users), "-r", str(SPAWN_RATE),
                    "--run-time", f"{int(warmup + seconds + 120)}s", *(classes or [])]
    print(f"-- {name}: {' '.join(command[1:])}", flush=True)
    before, started, load_max = resource.getrusage(resource.RUSAGE_CHILDREN), time.time(), 0.0
    with (work / f"{name}.log").open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        while process.poll() is None:
            load_max = max(load_max, os.getloadavg()[0])
            time.sleep(1)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.time() - started
    if not output.exists():
        raise SystemExit(f"Locust wrote nothing for {name}: see {work / f'{name}.log'}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**json.loads(output.read_text()), "generator": {
        "cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1)},
        "load_max_1min": round(load_max, 2)}


def fixed_phase(server: Server, name: str, per_role: int, users: int, args) -> dict:
    """`users` users of every role with think time: the endpoints' table and the POSTs."""
    output = run_locust(server, name, per_role, users=users, warmup=args.warmup,
                        seconds=args.seconds)
    rows = report.endpoint_rows(output)
    measured = output["stopped_at"] - output["measured_from"]
    total = sum(r["requests"] for r in rows.values())
    return {"workers": server.workers, "users": users, "roles": output["users"],
            "measured_seconds": round(measured, 1), "rows": rows,
            "posts": report.post_rows(output), "total_requests": total,
            "throughput": round(total / measured, 1), "worker_rss_mib": server.worker_rss(),
            "generator": output["generator"], "load_max_1min": output["load_max_1min"]}


def solo_phase(server: Server, seconds: float) -> dict:
    """One user of each role alone, back to back (no POSTs: the drafts are the run's)."""
    result = {}
    for role in ROLES:
        output = run_locust(server, f"solo-{role}", 1, users=1,
                            classes=[f"{role.title()}User"], think=(0, 0), warmup=3,
                            seconds=seconds, sign=False)
        result[role] = {"rows": report.endpoint_rows(output), "generator": output["generator"]}
    return result


def ramp_phase(server: Server, steps: list[int], step_seconds: float, per_role: int) -> dict:
    output = run_locust(server, "ramp", per_role, ramp=(steps, step_seconds))
    settle = min(10.0, step_seconds / 3)
    rows = report.ramp_steps(output, steps, step_seconds, settle)
    return {"workers": server.workers, "step_seconds": step_seconds, "settle_seconds": settle,
            "steps": rows, "knee_users": report.knee(rows),
            "knee_client_p95_ms": report.KNEE_CLIENT_P95_MS,
            "worker_rss_mib": server.worker_rss(), "generator": output["generator"],
            "load_max_1min": output["load_max_1min"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--more-workers", type=int, default=4,
                        help="repeat the run with this many workers, then ramp there (0: skip)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (gunicorn's gthread worker when above 1)")
    parser.add_argument("--solo-seconds", type=float, default=15,
                        help="one user of each role without think time (0: skip)")
    parser.add_argument("--ramp", default="20,40,60,80,100", help="users per step ('': skip)")
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--showcase-runs", type=int, default=showcase.RUNS,
                        help="requests per showcase page after the load phases (0: skip)")
    parser.add_argument("--seed-report", default=str(DATA_DIR / "seed.json"))
    args = parser.parse_args()
    steps = [int(n) for n in args.ramp.split(",") if n]
    per_role = math.ceil(max([args.users, *steps]) / len(ROLES))
    load_start, phases = load_average(), {}
    with Server(args.workers, args.threads) as server:
        if args.solo_seconds:
            phases["solo"] = solo_phase(server, args.solo_seconds)
        phases["main"] = fixed_phase(server, "main", per_role, args.users, args)
        if steps and not args.more_workers:
            phases["ramp"] = ramp_phase(server, steps, args.step_seconds, per_role)
    if args.more_workers:
        with Server(args.more_workers, args.threads) as server:
            phases["more_workers"] = fixed_phase(server, "more-workers", per_role, args.users,
                                                 args)
            if steps:
                phases["ramp"] = ramp_phase(server, steps, args.step_seconds, per_role)
    load_end = load_average()
    # After the load phases, so that the one user's figures do not share the machine with
    # the load (the seed published every project: the mix's showcase requests see them too).
    showcase_section = (showcase.measure(runs=args.showcase_runs)
                        if args.showcase_runs else None)
    seed_report = Path(args.seed_report)
    result = {
        "machine": machine(),
        "data": json.loads(seed_report.read_text()) if seed_report.exists() else {},
        "run": {"users": args.users, "think_time_seconds": list(THINK),
                "warmup_seconds": args.warmup, "seconds": args.seconds,
                "solo_seconds": args.solo_seconds, "threads": args.threads,
                "load_start": load_start, "load_end": load_end,
                "finished_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
        "phases": phases, **({"showcase": showcase_section} if showcase_section else {}),
        "notes": NOTES}
    write(result)
    print((ROOT / "benchmarks" / "REPORT.md").read_text())


if __name__ == "__main__":
    main()
