"""Who runs the jobs: a thread of the app process (SQLite, `make run`) or procrastinate
workers on PostgreSQL (`flask --app wsgi worker`, on one machine or several).

Either way the `job` row is the truth (tadafur.jobs.services): the thread looks for due rows
every JOBS_POLL_SECONDS and is woken at once after a commit that queued some; on PostgreSQL
each committed job is deferred as a procrastinate job `tadafur_run_job(job_id)` after the
commit (LISTEN/NOTIFY wakes a worker at once), retried by procrastinate after a failure, and a
periodic `tadafur_sweep` (every minute) defers the queued rows whose hand-over was lost (an app
server that died between its commit and the defer) and re-queues those a dead worker left
running. `run` claims a row with one UPDATE, so a job deferred twice still runs once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from typing import Any

import procrastinate
from flask import Flask
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tadafur.extensions import db
from tadafur.jobs import services
from tadafur.jobs.models import QUEUED, Job
from tadafur.models_base import utcnow

log = logging.getLogger(__name__)

RUN_TASK = "tadafur_run_job"
SWEEP_TASK = "tadafur_sweep"
QUEUE = "tadafur"


class RetryLater(Exception):
    pass


# ---------------------------------------------------------------- SQLite: a thread

class JobThread:
    """One daemon thread per app: drains the due jobs when woken, or every poll interval."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.stopping.clear()
            self.thread = threading.Thread(target=self._loop, daemon=True, name="tadafur-jobs")
            self.thread.start()

    def wake(self, _ids: Any = None) -> None:
        self.start()
        self.wakeup.set()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.wakeup.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        poll = float(self.app.config.get("JOBS_POLL_SECONDS", 2.0))
        with self.app.app_context():
            self._guarded(services.requeue_stale)
        while not self.stopping.is_set():
            with self.app.app_context():
                self._guarded(services.drain)
            self.wakeup.wait(poll)
            self.wakeup.clear()

    def _guarded(self, work) -> None:
        try:
            work()
        except Exception:  # the thread must outlive a broken database moment
            log.exception("job thread")
            db.session.rollback()
        finally:
            db.session.remove()


def thread_of(app: Flask) -> JobThread:
    found = app.extensions.get("tadafur.jobs.thread")
    if found is None:
        found = app.extensions["tadafur.jobs.thread"] = JobThread(app)
    return found


# ---------------------------------------------------------------- PostgreSQL: procrastinate

def conninfo(app: Flask) -> str:
    """libpq's form of the SQLAlchemy URL (postgresql+psycopg://... -> postgresql://...)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def worker_app(app: Flask) -> procrastinate.App:
    """The procrastinate app a worker runs: the two tasks, bound to this Flask app."""
    retry_seconds = float(app.config.get("JOBS_RETRY_SECONDS", 10))
    attempts = int(app.config.get("JOBS_MAX_ATTEMPTS", 3))
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))

    @queue.task(name=RUN_TASK, queue=QUEUE, pass_context=False,
                retry=procrastinate.RetryStrategy(max_attempts=max(attempts - 1, 0),
                                                  wait=int(retry_seconds),
                                                  linear_wait=int(retry_seconds),
                                                  retry_exceptions={RetryLater}))
    def run_job(job_id: int) -> None:
        with app.app_context():
            try:
                state = services.run(job_id)
            finally:
                db.session.remove()
        if state == QUEUED:
            raise RetryLater(job_id)

    @queue.periodic(cron="* * * * *", periodic_id="sweep")
    @queue.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK, pass_context=False)
    def sweep(timestamp: int) -> None:
        with app.app_context():
            try:
                services.requeue_stale()
                lost = list(db.session.scalars(select(Job.id).where(
                    Job.state == QUEUED, Job.run_after <= utcnow()).order_by(Job.id)
                    .limit(500)))
            finally:
                db.session.remove()
        for job_id in lost:
            with contextlib.suppress(AlreadyEnqueued):  # its hand-over is on its way
                run_job.configure(queueing_lock=f"job-{job_id}").defer(job_id=job_id)

    return queue


class Deferrer:
    """What an app server uses after its commit: a small synchronous connection pool,
    opened on first use (after gunicorn forked), deferring by task name."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: procrastinate.App | None = None
        self.lock = threading.Lock()

    def __call__(self, ids: list[int]) -> None:
        with self.lock:
            if self.queue is None:
                queue = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(
                    conninfo=conninfo(self.app), min_size=1, max_size=2))
                queue.open()
                self.queue = queue
            for job_id in ids:
                self.queue.configure_task(RUN_TASK, queue=QUEUE).defer(job_id=job_id)

    def close(self) -> None:
        with self.lock:
            if self.queue is not None:
                self.queue.close()
                self.queue = None


def run_worker(app: Flask, *, concurrency: int = 1, wait: bool = True) -> None:
    """`flask --app wsgi worker`: run procrastinate's worker until stopped (or, without
    `wait`, until the queue is empty)."""
    with app.app_context():
        services.requeue_stale()
        db.session.remove()
    queue = worker_app(app)
    if not wait:
        with queue.open():
            queue.run_worker(queues=[QUEUE], concurrency=concurrency, wait=False,
                             install_signal_handlers=False)
        return
    pause = float(app.config.get("JOBS_RESTART_SECONDS", 2.0))
    asyncio.run(_supervise(queue, concurrency, pause))


async def _supervise(queue: procrastinate.App, concurrency: int, pause: float) -> None:
    """Run procrastinate's worker until SIGTERM or SIGINT, and start it again whenever it
    stops by itself.

    Why: when the database goes away (a restart, a fail-over), procrastinate's listener loses
    its connection and the worker stops as if asked to, and the process used to exit with
    status 0, which a service manager set to restart only on failure leaves dead: queued
    documents and e-mails then waited for someone to notice. A job in hand when the
    connection went is queued again by the sweep once stale (`requeue_stale`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    while not stop.is_set():
        try:
            async with queue.open_async():
                worker = asyncio.create_task(queue.run_worker_async(
                    queues=[QUEUE], concurrency=concurrency, install_signal_handlers=False))
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():
                    worker.cancel()  # procrastinate lets the job in hand finish first
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                    return
                stopping.cancel()
                worker.result()  # what stopped it, if it raised
                log.warning("the job worker stopped by itself (database lost?); starting it "
                            "again in %.0f s", pause)
        except Exception:  # the database is still down, or the worker failed
            log.exception("the job worker failed; starting it again in %.0f s", pause)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)


# ---------------------------------------------------------------- wiring

def init_app(app: Flask) -> None:
    """Install the dispatcher of this app's mode (tadafur.wiring calls it)."""
    chosen = services.mode(app)
    if chosen == "thread":
        jobs_thread = thread_of(app)

        @app.before_request
        def start_job_thread() -> None:
            """Only a process serving requests runs the thread (a CLI command's jobs wait in
            the table for the server's thread, which looks every JOBS_POLL_SECONDS); it
            starts with the first request and picks up what a previous run left."""
            if services.DISPATCH not in app.extensions:
                app.extensions[services.DISPATCH] = jobs_thread.wake
                jobs_thread.start()
    elif chosen == "procrastinate":
        app.extensions[services.DISPATCH] = Deferrer(app)
