"""`flask --app wsgi worker`: run the jobs (procrastinate on PostgreSQL, on one machine or
several; on SQLite the app process's own thread already does, this runs them in the
foreground instead)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app

from tadafur.extensions import db
from tadafur.jobs import services, worker as jobs_worker


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True,
              help="Jobs run at once by this worker (PostgreSQL).")
@click.option("--once", is_flag=True, help="Run the due jobs, then stop.")
def worker_command(concurrency: int, once: bool) -> None:
    """Run the background jobs: documents, e-mails, the audit trail's verification."""
    app = current_app._get_current_object()
    chosen = services.mode(app)
    if chosen == "procrastinate":
        click.echo("procrastinate worker on queue 'tadafur'")
        jobs_worker.run_worker(app, concurrency=concurrency, wait=not once)
        return
    services.requeue_stale()
    while True:
        count = services.drain()
        db.session.remove()
        if once:
            click.echo(f"{count} job(s) run")
            return
        time.sleep(float(app.config.get("JOBS_POLL_SECONDS", 2.0)))


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
