"""The installed workflow definitions and what they say about a project's state.

The lowest layer that knows the definitions: access (the `reports.*` rules), the workflow
service and every feature read them here. `init_app` loads and checks every file at start-up
(called by tadafur.wiring once the hooks and guards are registered): a broken definition
stops the app.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from tadafur.models_base import utcnow
from tadafur.workflow.definition import Definition, Registry, load_directory
from tadafur.workflow.labels import translate

EXTENSION = "tadafur.workflow"
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "workflows"


def init_app(app: Flask) -> None:
    """Load and check every definition at start-up: a broken one stops the app."""
    directory = app.config.get("WORKFLOW_DIRECTORY") or DEFAULT_DIRECTORY
    app.extensions[EXTENSION] = load_directory(directory)


def registry() -> Registry:
    return current_app.extensions[EXTENSION]


def default_name() -> str:
    return current_app.config.get("WORKFLOW_DEFAULT", "co_creation")


def definition_of(project: Any) -> Definition:
    return registry().get(project.workflow_name, project.workflow_version)


def state_label(state: str) -> str:
    defs = [registry().latest(default_name()), *registry().definitions.values()]
    for definition in defs:
        if state in definition.states:
            return translate(definition.states[state].label)
    return state


def phase_of(project: Any) -> str:
    return definition_of(project).phase_of(project.state)


def phase_label(phase: str) -> str:
    return translate(registry().latest(default_name()).phase_label(phase))


def due_at(project: Any) -> dt.datetime | None:
    state = definition_of(project).states.get(project.state)
    if state is None or state.final or not state.due_days or project.state_entered_at is None:
        return None
    return project.state_entered_at + dt.timedelta(days=state.due_days)


def is_overdue(project: Any, now: dt.datetime | None = None) -> bool:
    due = due_at(project)
    return due is not None and due < (now or utcnow())


def is_editable(project: Any) -> bool:
    state = definition_of(project).states.get(project.state)
    return bool(state and state.editable and not state.final)


def is_final(project: Any) -> bool:
    return definition_of(project).state(project.state).final
