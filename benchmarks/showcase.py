"""Server time of the showcase's list and search pages on the benchmark's data (one user).

    TADAFUR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tadafur_bench \\
        .venv/bin/python benchmarks/showcase.py [--publish]

After `benchmarks/seed.py`. With --publish, every project's publication is approved first
(the seed publishes none) and the lessons index is rebuilt (the seed bulk-inserts reports,
which bypasses the index's listener). Prints p50/p95 in ms and the SQL statements per page,
for the anonymous visitor and a logged-in partner.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = 30


def main() -> None:
    from sqlalchemy import event, select, update

    from tadafur import create_app
    from tadafur.accounts.models import Membership, Role, User
    from tadafur.extensions import db
    from tadafur.projects.models import Project, Theme

    url = os.environ.get("TADAFUR_BENCH_DATABASE_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/tadafur_bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": "bench.test"})
    with app.app_context():
        if "--publish" in sys.argv:
            from tadafur.showcase.lessons import reindex_all

            db.session.execute(update(Project).values(publication_approved=True))
            print("lessons indexed:", reindex_all(), "+ synthetic:", _synthetic_lessons())
            db.session.commit()
        theme = db.session.scalar(select(Theme.id).order_by(Theme.id))
        project = db.session.scalar(select(Project.id).where(Project.state == "closed")
                                    .order_by(Project.id.desc()))
        agent = db.session.scalar(select(User.email).join(Membership)
                                  .where(Membership.role == Role.COMMUNE_AGENT.value,
                                         User.email.not_like("%@demo.tadafur.ma"))
                                  .order_by(User.id))
        counts = {"n": 0}
        event.listen(db.engine, "before_cursor_execute",
                     lambda *_a: counts.__setitem__("n", counts["n"] + 1))
    pages = ["/showcase", f"/showcase?theme={theme}", "/showcase?phase=evaluation",
             f"/showcase/projects/{project}", "/showcase/feed.atom"]
    searches = ["/lessons", "/lessons?q=conseil", "/lessons?q=الشباب",
                "/lessons?q=dialogue&criterion=relevance&min_score=3"]
    client = app.test_client()
    _measure(client, pages, counts, "anonymous")
    password = os.environ.get("BENCH_PASSWORD", "tadafur-bench-2026")
    client.post("/login", data={"email": agent, "password": password})
    _measure(client, pages[:1] + searches, counts, "commune agent")


def _synthetic_lessons() -> int:
    """The seed's clones have no report texts: give every project past execution three
    lessons (drawn from the demo's, in Arabic and French) so the search has a realistic
    table to scan."""
    import itertools

    from sqlalchemy import insert, select

    from tadafur.extensions import db
    from tadafur.models_base import utcnow
    from tadafur.projects.models import Project
    from tadafur.reporting.demo import LESSONS
    from tadafur.showcase.lessons import normalise, split_lines
    from tadafur.showcase.models import Lesson

    pool = []
    for texts in LESSONS.values():
        pool += split_lines(texts["final"])
        for party in ("commune", "association"):
            pool += list(texts[party])
    texts = itertools.cycle(pool)
    states = ("final_report", "report_validation", "evaluation", "evaluation_signoff",
              "closed")
    rows = []
    for project_id in db.session.scalars(select(Project.id).where(Project.state.in_(states))):
        for kind in ("lesson", "lesson", "recommendation"):
            body = next(texts)
            rows.append({"project_id": project_id, "source": "evaluation", "source_id": 0,
                         "party": "commune", "kind": kind, "body": body,
                         "search_text": normalise(body), "updated_at": utcnow()})
    db.session.execute(insert(Lesson), rows)
    return len(rows)


def _measure(client, urls, counts, who: str) -> None:
    for url in urls:
        client.get(url)  # warm up
        times = []
        for _ in range(RUNS):
            counts["n"] = 0
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{who:14} {url:55} {response.status_code} p50 {statistics.median(times):6.1f} ms"
              f"  p95 {p95:6.1f} ms  {counts['n']} statements  {len(response.data)} bytes")


if __name__ == "__main__":
    main()
