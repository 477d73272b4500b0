"""Command-line tools: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tadafur.audit.evidence import check_package
from tadafur.audit.review import StatementError, parse_statement
from tadafur.audit.services import verify_chain
from tadafur.core.backup import BackupError, restore_backup, write_backup
from tadafur.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from tadafur.extensions import db
from tadafur.modules import domain_submodules
from tadafur.organisations.services import (
    CommuneImportError,
    import_communes_csv,
    seed_reference_data,
)
from tadafur.projects.themes import seed_themes

audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")
communes_cli = AppGroup("communes", help="Reference data: communes.")
evidence_cli = AppGroup("evidence", help="Evidence packages for auditors.")


@evidence_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def evidence_check(path: str) -> None:
    """Check a package: every file against its manifest, the manifest against its seal."""
    with open(path, "rb") as handle:
        result = check_package(handle.read())
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    if not result.ok:
        sys.exit(1)
    click.echo(f"authentic: {result.files} files match the signed manifest")


@audit_cli.command("verify")
@click.option("--statement", "statements", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="A chain-head statement exported earlier; the chain must pass through it.")
def audit_verify(statements: tuple[str, ...]) -> None:
    """Check the whole hash chain; exit 1 and name the first broken event if any."""
    heads: dict[int, str] = {}
    for path in statements:
        try:
            with open(path, encoding="utf-8") as handle:
                seq, head_hash = parse_statement(handle.read())
        except (StatementError, UnicodeDecodeError) as error:
            click.echo(f"{path}: {error}", err=True)
            sys.exit(2)
        heads[seq] = head_hash
    result = verify_chain(checkpoints=heads)
    click.echo(str(result))
    if not result.intact:
        sys.exit(1)


@communes_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def communes_import(path: str) -> None:
    """Create or correct communes from a CSV file; nothing is written if a row is wrong."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            report = import_communes_csv(handle.read())
    except UnicodeDecodeError:
        click.echo("error: the file is not UTF-8 text; nothing was imported", err=True)
        sys.exit(1)
    except CommuneImportError as error:
        db.session.rollback()
        for line, reason in error.errors:
            click.echo(f"line {line}: {reason}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{report.created} communes added, {report.updated} corrected")


@click.command("seed")
@click.option("--demo/--no-demo", default=None, help="Add the demo accounts and projects.")
def seed(demo: bool | None) -> None:
    """Load reference data (and demo data) when missing. Safe to run again."""


    added = seed_reference_data()

    added["themes"] = seed_themes()
    click.echo("reference data: " + ", ".join(f"{v} {k}" for k, v in added.items()))
    if demo if demo is not None else current_app.config["SEED_DEMO_DATA"]:
        # The demo walks projects through sign-offs of documents produced on the way: its
        # jobs run at once, in this process, whatever the queue (tadafur.jobs).
        current_app.config["JOBS_MODE"] = "eager"
        click.echo(f"demo data: {seed_demo()} items added")
    db.session.commit()


@click.command("demo-accounts")
def demo_accounts() -> None:
    """Print the demo accounts, one per role."""
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role.value:<24} {account.email}")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=True))
@click.option("--include-objects", is_flag=True,
              help="With object storage (TADAFUR_STORAGE=s3), copy the bucket's documents and "
                   "attachments into the archive too (a local store is always included).")
def backup(path: str | None, include_objects: bool) -> None:
    """Write one archive: the database dump, the stored files, a manifest of SHA-256s."""
    try:
        target = write_backup(path, include_objects=include_objects)
    except BackupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"backup written: {target}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def restore(archive: str) -> None:
    """Restore an archive into an EMPTY database; checks every file and document hash."""
    try:
        report = restore_backup(archive)
    except BackupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"restored the {report.database} database and {report.files} files; "
               f"{report.documents_checked} documents match their hashes. "
               "Now run: flask --app wsgi audit verify")


def register(app: Flask) -> None:
    for command in (audit_cli, communes_cli, evidence_cli, seed, demo_accounts, backup,
                    restore):
        app.cli.add_command(command)

    for module in domain_submodules("cli"):
        module.register(app)
