"""The real queue in tests: on SQLite the app's job thread, on PostgreSQL procrastinate's
worker (in a thread of the test process, on its own event loop). The suite's default is the
eager mode (tests/conftest.py); these tests switch the session's app to the real mode for
their duration, commit for real (`committing`) and put everything back."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tadafur.extensions import db
from tadafur.jobs import services, worker
from tadafur.jobs.models import Job


class RealQueue:
    """Jobs are handed over after each commit; the worker starts only when the test says
    (so a test can look at the world before any job ran)."""

    def __init__(self, app, dialect: str) -> None:
        self.app, self.dialect = app, dialect
        self.thread: worker.JobThread | None = None
        self.deferrer: worker.Deferrer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.runner: threading.Thread | None = None
        self.handed: list[int] = []

    def install(self) -> None:
        config = self.app.config
        self.saved = {k: config.get(k) for k in ("JOBS_MODE", "JOBS_RETRY_SECONDS",
                                                 "JOBS_POLL_SECONDS")}
        config["JOBS_RETRY_SECONDS"], config["JOBS_POLL_SECONDS"] = 0, 0.2
        if self.dialect == "postgresql":
            config["JOBS_MODE"] = "procrastinate"
            self.deferrer = worker.Deferrer(self.app)
            dispatch = self.deferrer
        else:
            config["JOBS_MODE"] = "thread"
            self.thread = worker.JobThread(self.app)
            dispatch = self._hold  # handed to the thread once started
        self.app.extensions[services.DISPATCH] = lambda ids: (self.handed.extend(ids),
                                                              dispatch(ids))

    def _hold(self, ids) -> None:
        if self.thread is not None and self.thread.thread is not None:
            self.thread.wake()

    def start(self) -> None:
        if self.thread is not None:
            self.thread.start()
            self.thread.wake()
            return
        queue = worker.worker_app(self.app)
        ready = threading.Event()

        def main() -> None:
            async def work() -> None:
                async with queue.open_async():
                    ready.set()
                    await queue.run_worker_async(
                        queues=[worker.QUEUE], wait=True, install_signal_handlers=False,
                        fetch_job_polling_interval=0.5)

            self.loop = asyncio.new_event_loop()
            self.task = self.loop.create_task(work())
            try:
                self.loop.run_until_complete(self.task)
            except (asyncio.CancelledError, Exception):  # stopped by the test
                pass
            finally:
                self.loop.close()

        self.runner = threading.Thread(target=main, daemon=True, name="procrastinate-test")
        self.runner.start()
        ready.wait(30)

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
        if self.runner is not None and self.loop is not None and self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
            self.runner.join(30)
        if self.deferrer is not None:
            self.deferrer.close()
        self.app.extensions.pop(services.DISPATCH, None)
        self.app.config.update(self.saved)

    def wait(self, job_id: int, states=("done", "failed"), timeout: float = 90) -> Job:
        """Until the job reaches one of `states` (read afresh from the database)."""
        deadline = time.monotonic() + timeout
        while True:
            db.session.remove()
            job = db.session.get(Job, job_id)
            if job is not None and job.state in states:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job and job.state}")
            time.sleep(0.2)


@pytest.fixture
def queue(app, dialect):
    real = RealQueue(app, dialect)
    real.install()
    try:
        yield real
    finally:
        real.stop()
