"""The list page and the project page run a bounded number of SQL statements, whatever the
number of projects (20 or 200, bulk-inserted)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune
from tadafur.projects.models import BudgetLine, Project, project_theme
from tests.factories import login, make_association

STATES = ("draft", "submitted", "selection", "council_deliberation", "in_execution",
          "final_report", "closed", "rejected")


def bulk_projects(count: int, themes) -> None:
    """`count` projects over the partner communes, each with two budget lines and a theme."""
    communes = list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                       .order_by(Commune.id).limit(10)))
    associations = [make_association(c) for c in communes]
    start = db.session.scalar(select(db.func.max(Project.id))) or 0
    now = utcnow()
    rows = [{"reference": f"TDF-2026-QC-{start + n:05d}", "title_fr": f"Projet {n}",
             "title_ar": f"مشروع {n}", "commune_id": communes[n % 10].id,
             "lead_association_id": associations[n % 10].id, "workflow_name": "co_creation",
             "workflow_version": 1, "state": STATES[n % len(STATES)],
             "state_entered_at": now - dt.timedelta(days=n), "version": 1,
             "content_version": 1, "created_at": now, "updated_at": now}
            for n in range(count)]
    db.session.execute(insert(Project), rows)
    ids = list(db.session.scalars(select(Project.id).where(Project.id > start)))
    db.session.execute(insert(BudgetLine), [
        {"project_id": pid, "position": k, "category": "events", "description": "x",
         "amount": 1000, "funder": "commune" if k else "programme", "in_kind": False}
        for pid in ids for k in (1, 2)])
    db.session.execute(insert(project_theme), [
        {"project_id": pid, "theme_id": themes[pid % len(themes)].id} for pid in ids])
    db.session.commit()


def _count(client, count_queries, url: str) -> int:
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


def test_list_and_project_page_do_not_grow_with_the_data(client, officer, themes, count_queries,
                                                         agent, commune, association):
    from tests.projects.conftest import make_project

    mine = make_project(agent, commune, association)
    db.session.commit()
    login(client, officer)
    bulk_projects(20, themes)
    urls = ["/projects", "/projects?q=projet&overdue=1", f"/projects?theme={themes[0].id}",
            f"/projects/{mine.id}", f"/projects/{mine.id}/tabs/budget",
            f"/projects/{mine.id}/tabs/history"]
    small = {url: _count(client, count_queries, url) for url in urls}
    bulk_projects(180, themes)
    large = {url: _count(client, count_queries, url) for url in urls}
    assert large == small
    print("statements per page (20 and 200 projects):", small)
    assert small["/projects"] <= 12
    assert small[f"/projects/{mine.id}"] <= 25


def test_my_tasks_do_not_grow_with_the_data(client, officer, agent, themes, count_queries,
                                            commune, association):
    """The home page of a programme officer, who may act on every commune's projects."""
    from tests.projects.conftest import make_project

    make_project(agent, commune, association)
    db.session.commit()
    login(client, officer)
    bulk_projects(20, themes)
    small = _count(client, count_queries, "/")
    bulk_projects(180, themes)
    large = _count(client, count_queries, "/")
    print("statements on my tasks (20 and 200 projects):", small, large)
    assert large == small
