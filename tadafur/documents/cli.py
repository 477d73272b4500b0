"""`flask --app wsgi seal init|show`: the platform's seal certificate."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tadafur.documents.sealing import (
    SealError,
    init_development_seal,
    pkcs12_path,
    platform_certificate,
    seal_dir,
)

seal_cli = AppGroup("seal", help="The platform's seal (PAdES) certificate.")


@seal_cli.command("init")
@click.option("--force", is_flag=True, help="Replace an existing development certificate.")
def seal_init(force: bool) -> None:
    """Make a self-signed development certificate and key (PKCS#12) under instance/seal/."""


    if current_app.config.get("SEAL_PKCS12") or os.environ.get("TADAFUR_SEAL_PKCS12"):
        raise click.ClickException(
            f"SEAL_PKCS12 points at {pkcs12_path()}: production keys are not made here")
    existed = (seal_dir() / "seal.p12").exists()
    path = init_development_seal(seal_dir(), force=force)
    if existed and not force:
        click.echo(f"kept the existing certificate {path} (use --force to replace it)")
    else:
        click.echo(f"development seal written to {path} (not for production)")


@seal_cli.command("show")
def seal_show() -> None:
    """Print the seal certificate's subject, validity and SHA-256 fingerprint."""
    try:
        certificate = platform_certificate()
    except SealError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"subject: {certificate.subject.human_friendly}")
    click.echo(f"valid: {certificate.not_valid_before} .. {certificate.not_valid_after}")
    click.echo(f"sha256: {certificate.sha256.hex()}")


def register(app: Flask) -> None:
    app.cli.add_command(seal_cli)
