"""`flask --app wsgi users create-admin EMAIL`: the first administrator of a new installation.

The production steps (README) create an empty platform: no account at all. This command
creates an administrator, asking for the password twice (weak ones refused), or, when mail
is set up (MAIL_SERVER), e-mails an invitation link instead. Audited like any creation.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from tadafur.accounts import services
from tadafur.accounts.mail import send_invitation
from tadafur.accounts.models import Role
from tadafur.accounts.throttle import forget_older_than
from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.organisations.models import Institution

users_cli = AppGroup("users", help="Accounts: the first administrator, a lost second factor.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", "full_name", default="", help="Full name (default: the e-mail).")
@click.option("--institution", default="enabel", show_default=True,
              help="Code of the institution the administrator belongs to.")
@click.option("--invite/--password", "invite", default=None,
              help="Send an invitation link by e-mail (default when MAIL_SERVER is set) or "
                   "type the password now.")
def create_admin(email: str, full_name: str, institution: str, invite: bool | None) -> None:
    """Create an administrator account (its password typed twice, or an invitation)."""


    found = db.session.scalar(select(Institution).where(Institution.code == institution))
    if found is None:
        click.echo(f"error: no institution {institution!r}; run `flask --app wsgi seed "
                   "--no-demo` first", err=True)
        sys.exit(1)
    if invite is None:
        invite = bool(current_app.config.get("MAIL_SERVER"))
    if invite and not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo("error: set TADAFUR_PUBLIC_BASE_URL (the address users open) to send an "
                   "invitation link", err=True)
        sys.exit(1)
    password = None
    if not invite:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):
        try:
            user = services.create_user(email, full_name or email, None,
                                        [services.MembershipSpec(Role.ADMIN,
                                                                 institution_id=found.id)])
            if password is not None:
                services.set_password(user, password, password, via="set")
        except services.AccountError as error:
            db.session.rollback()
            click.echo(f"error: {error.message}", err=True)
            sys.exit(1)
        record("user.admin_created_from_command", obj=user, actor_name="flask users",
               summary=f"administrator {user.email} created from the command line",
               after={"email": user.email, "invited": bool(invite)})
        if invite:
            send_invitation(user)
    db.session.commit()
    if invite:
        click.echo(f"administrator {user.email} created; invitation e-mailed")
    else:
        click.echo(f"administrator {user.email} created; log in at /login")


@users_cli.command("prune-rate-events")
@click.option("--days", default=2, show_default=True, help="Keep the events of these days.")
def prune_rate_events(days: int) -> None:
    """Drop the counted requests (password resets, /verify) no limit looks at any more."""

    removed = forget_older_than(days)
    db.session.commit()
    click.echo(f"{removed} rate event(s) removed")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
