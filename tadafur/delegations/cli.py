"""`flask --app wsgi delegations expire` (for cron; `flask reminders` runs it too)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tadafur.delegations.services import expire_due
from tadafur.extensions import db

delegations_cli = AppGroup("delegations", help="Delegations of sign-off.")


@delegations_cli.command("expire")
def expire() -> None:
    """Record (and audit, once each) the delegations whose last day has passed."""
    count = expire_due()
    db.session.commit()
    click.echo(f"{count} delegation(s) expired")


def register(app: Flask) -> None:
    app.cli.add_command(delegations_cli)
