"""`flask --app wsgi workflow check [FILES...]`, `flask --app wsgi reminders` (for cron) and
`flask --app wsgi tasks rebuild`.

The definitions are loaded and checked at app start (tadafur.wiring): an app with a broken
definition does not start, and says which file, which key and what is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from tadafur.amendments.services import send_reminders as amendment_reminders
from tadafur.delegations.services import expire_due
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.workflow import awaiting
from tadafur.workflow.definition import DefinitionError, load_directory, load_file
from tadafur.workflow.services import DEFAULT_DIRECTORY, registry, send_reminders

workflow_cli = AppGroup("workflow", help="Workflow definitions.")


@workflow_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def check(paths: tuple[str, ...]) -> None:
    """Check the installed definitions, or the given files / directories. Exit 1 on errors."""

    targets = paths or (current_app.config.get("WORKFLOW_DIRECTORY") or DEFAULT_DIRECTORY,)
    errors, checked = [], []
    for target in targets:
        try:
            if Path(target).is_dir():
                found = load_directory(target).definitions.values()
            else:
                found = [load_file(target)]
        except DefinitionError as error:
            errors.extend(error.errors)
            continue
        checked.extend(f"{d.name} v{d.version} ({d.path})" for d in found)
    if not paths:
        errors.extend(_missing_versions())
    for error in errors:
        click.echo(error, err=True)
    if errors:
        click.echo(f"{len(errors)} error(s)", err=True)
        sys.exit(1)
    for line in checked:
        click.echo(f"OK {line}")


def _missing_versions() -> list[str]:
    """Running projects whose workflow version is no longer installed."""

    try:
        rows = db.session.execute(
            select(Project.workflow_name, Project.workflow_version, func.count())
            .group_by(Project.workflow_name, Project.workflow_version)).all()
    except SQLAlchemyError as error:  # no database yet: the files alone were checked
        db.session.rollback()
        click.echo(f"database not checked: {error.__class__.__name__}", err=True)
        return []
    installed = registry().definitions
    return [f"database: {count} project(s) use {name!r} version {version}, which is not "
            f"installed (keep its file in the workflows directory)"
            for name, version, count in rows if (name, version) not in installed]


@click.command("reminders")
def reminders() -> None:
    """Notify everyone whose action is awaited on a project past its state's due date."""
    expired = expire_due()  # an expired mandate no longer earns reminders
    sent = send_reminders()
    sent += amendment_reminders()
    db.session.commit()
    click.echo(f"{sent} reminder(s) sent")
    if expired:
        click.echo(f"{expired} delegation(s) expired")


tasks_cli = AppGroup("tasks", help="My tasks: the awaited_action table.")


@tasks_cli.command("rebuild")
def rebuild_tasks() -> None:
    """Recompute what every project awaits (after `db upgrade` to 0021, a restore, or rows
    written without the ORM such as the benchmark's seed)."""
    written = awaiting.rebuild(db.session)
    db.session.commit()
    click.echo(f"{written} awaited action row(s) written")


def register(app: Flask) -> None:
    app.cli.add_command(workflow_cli)
    app.cli.add_command(reminders)
    app.cli.add_command(tasks_cli)
