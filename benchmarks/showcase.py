"""Server time of the showcase's list and search pages on the benchmark's data (one user).

    TADAFUR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tadafur_bench \\
        .venv/bin/python benchmarks/showcase.py [--publish] [--report] [--runs 30]

`make bench` runs it after the load phases (benchmarks/load.py calls measure()) and puts its
figures in benchmarks/report.json ("showcase") and REPORT.md, with the budget of issue 19
judged from them. The seed publishes every project and fills the lessons library
(benchmarks/seed.py, publish_all); --publish does it again, for a database seeded before it
did; without it the database is only read. Prints p50/p95 in ms and the SQL statements per
page, for the anonymous visitor and a logged-in partner (a commune agent); with --report,
also replaces the showcase section of benchmarks/report.json, judges the budgets again and
re-renders REPORT.md (the section says when and at which commit it was measured, apart from
the rest).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import percentile  # noqa: E402
from benchmarks.seed import BENCH_PASSWORD, bench_url, publish_all  # noqa: E402
from benchmarks.server import load_average  # noqa: E402

RUNS = 30
REPORT = ROOT / "benchmarks" / "report.json"


def measure(*, publish: bool = False, runs: int = RUNS) -> dict:
    """The report's showcase section: each page `runs` times after a warm-up request, in this
    process (Flask's test client, no gunicorn: one user, nothing queued), on the database that
    benchmarks/seed.py filled."""
    from sqlalchemy import event, func, select

    from tadafur import create_app
    from tadafur.accounts.models import Membership, Role, User
    from tadafur.extensions import db
    from tadafur.projects.models import Project, Theme
    from tadafur.showcase.models import Lesson
    from tadafur.showcase.public import published

    app = create_app({"SQLALCHEMY_DATABASE_URI": bench_url(), "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": "bench.test"})
    with app.app_context():
        if publish:
            published, lessons = publish_all()
            print(f"published {published} projects, {lessons} lessons", flush=True)
            db.session.commit()
        published_projects = db.session.scalar(
            select(func.count()).select_from(published().subquery()))
        lessons = db.session.scalar(select(func.count()).select_from(Lesson))
        theme = db.session.scalar(select(Theme.id).order_by(Theme.id))
        project = db.session.scalar(select(Project.id).where(Project.state == "closed")
                                    .order_by(Project.id.desc()))
        agent = db.session.scalar(select(User.email).join(Membership)
                                  .where(Membership.role == Role.COMMUNE_AGENT.value,
                                         User.email.not_like("%@demo.tadafur.ma"))
                                  .order_by(User.id))
        engine = db.engine
    counts = {"n": 0}

    def count(*_args: object) -> None:
        counts["n"] += 1

    # (page, whether issue 19's budget covers it: the list and search pages; the feed is the
    # list of the newest publications, the project page is neither). Each search finds
    # lessons: "الجماعة" about a quarter of them, ranked; "conseil" and the filtered one a few.
    pages = [("/showcase", True), (f"/showcase?theme={theme}", True),
             ("/showcase?phase=evaluation", True), (f"/showcase/projects/{project}", False),
             ("/showcase/feed.atom", True)]
    searches = [("/lessons", True), ("/lessons?q=conseil", True), ("/lessons?q=الجماعة", True),
                ("/lessons?q=dialogue&criterion=relevance&min_score=3", True)]
    client = app.test_client()
    load_start = load_average()
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = _measure(client, pages, counts, "anonymous", runs)
        client.post("/login", data={"email": agent, "password": BENCH_PASSWORD})
        rows += _measure(client, pages[:1] + searches, counts, "commune agent", runs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {"published_projects": published_projects, "lessons": lessons, "runs": runs,
            "load_start": load_start, "load_end": load_average(), "rows": rows}


def _measure(client, pages: list[tuple[str, bool]], counts: dict[str, int], visitor: str,
             runs: int) -> list[dict]:
    """One row per page: server p50/p95 over `runs` requests, the statements and the size of
    the last one (the same every time: nothing is cached between requests but the figures)."""
    rows = []
    for url, judged in pages:
        client.get(url)  # warm up
        times = []
        for _ in range(runs):
            counts["n"] = 0
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        row = {"visitor": visitor, "page": url, "judged": judged,
               "status": response.status_code, "server_p50_ms": percentile(times, 50),
               "server_p95_ms": percentile(times, 95), "statements": counts["n"],
               "bytes": len(response.data)}
        print(f"{visitor:14} {url:55} {row['status']} p50 {row['server_p50_ms']:6.1f} ms"
              f"  p95 {row['server_p95_ms']:6.1f} ms  {row['statements']} statements"
              f"  {row['bytes']} bytes", flush=True)
        rows.append(row)
    return rows


def main() -> None:
    from benchmarks.markdown import write
    from benchmarks.server import git_commit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publish", action="store_true",
                        help="approve every project's publication and rebuild the lessons first")
    parser.add_argument("--report", action="store_true",
                        help="put the figures in benchmarks/report.json and REPORT.md")
    parser.add_argument("--runs", type=int, default=RUNS, help="requests measured per page")
    args = parser.parse_args()
    section = measure(publish=args.publish, runs=args.runs)
    if args.report:
        if not REPORT.exists():
            sys.exit(f"{REPORT} does not exist: run `make bench` first")
        section["measured_apart"] = {
            "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "git_commit": git_commit()}
        write(json.loads(REPORT.read_text()) | {"showcase": section})
        print(f"wrote {REPORT} and REPORT.md")


if __name__ == "__main__":
    main()
