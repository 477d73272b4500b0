"""The my-tasks panel of the home page: what awaits me (overdue first) and counts per state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request

from tadafur.core.dashboard import Panel
from tadafur.projects.services import state_counts
from tadafur.workflow import tasks


@dataclass
class ProjectTasks:
    """What awaits me on one project: its actions, when it is due, whether it is late."""

    project: Any
    actions: list[Any] = field(default_factory=list)
    due_at: Any = None
    overdue: bool = False
    on_behalf_of: str | None = None  # a delegate's task: whom they would sign for


def group_by_project(tasks: list[Any]) -> list[ProjectTasks]:
    """One entry per project, overdue first, then by due date."""
    grouped: dict[int, ProjectTasks] = {}
    for task in tasks:
        entry = grouped.setdefault(task.project.id, ProjectTasks(
            task.project, due_at=task.due_at, overdue=task.overdue))
        entry.actions.append(task.action)
        entry.on_behalf_of = entry.on_behalf_of or getattr(task, "on_behalf_of", None)
    return sorted(grouped.values(), key=lambda t: (not t.overdue, t.due_at is None,
                                                   t.due_at or 0, t.project.id))


PER_PAGE = 50  # projects per page of My tasks


def my_tasks_panel(user: Any) -> Panel | None:
    """One page of My tasks (`?tasks_page=N`, plain links), read from the awaited_action
    table: its cost does not grow with the programme (a programme officer's scope)."""
    page = max(request.args.get("tasks_page", 1, type=int) or 1, 1)
    found = tasks.awaited_page(user, page, PER_PAGE)
    return Panel("projects/_my_tasks_panel.html",
                 {"entries": group_by_project(found.tasks), "page": found.page,
                  "has_next": found.has_next, "counts": state_counts(user)})
