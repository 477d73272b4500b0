"""The projects module's registrations (called once by tadafur.wiring at app start):
the home page's my-tasks panel and the demo projects' seeder."""

from __future__ import annotations

from tadafur.core.dashboard import panel
from tadafur.demo.seed import DEMO_SEEDERS
from tadafur.projects import dashboard, demo


def register_hooks() -> None:
    panel(dashboard.my_tasks_panel)
    if demo.seed_projects not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(demo.seed_projects)
