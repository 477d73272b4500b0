"""`flask --app wsgi showcase reindex`: rebuild the lessons index (after a restore or a bulk
import, which bypass the listener that keeps it current)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tadafur.extensions import db
from tadafur.showcase.lessons import reindex_all

showcase_cli = AppGroup("showcase", help="Public showcase and lessons library.")


@showcase_cli.command("reindex")
def reindex() -> None:
    """Rebuild the lessons index from the final reports and the evaluations."""

    count = reindex_all()
    db.session.commit()
    click.echo(f"{count} lesson(s) indexed")


def register(app: Flask) -> None:
    app.cli.add_command(showcase_cli)
