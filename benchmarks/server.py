"""The system under test and its host: gunicorn on the seeded database, its workers' memory,
the machine's description and load.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from benchmarks.seed import DATA_DIR, bench_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`gunicorn --workers N wsgi:app` on a free port, with the floor and the Server-Timing
    header on, CSRF on (the production default), for the length of a `with` block."""

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.job_worker: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = dict(os.environ, TADAFUR_DATABASE_URL=bench_url(), TADAFUR_BENCH_FLOOR="1",
                   TADAFUR_BENCH_SERVER_TIMING="1",
                   TADAFUR_SECRET_KEY="bench-secret-key-not-for-production",
                   TADAFUR_DOCUMENTS_DIR=str(DATA_DIR / "documents"),
                   TADAFUR_SEAL_DIR=str(DATA_DIR / "seal"), TADAFUR_SEED_DEMO_DATA="0")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(self.workers),
             "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        # The job worker production runs beside the app servers (README, "Jobs"): the PDFs
        # of the sign-offs the run completes are rendered there, off the measured requests.
        self.job_worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker"],
            cwd=ROOT, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the port opens before the workers load the app
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.process.kill()
        raise SystemExit("gunicorn did not start")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for process in (self.process, self.job_worker):
            if process:
                process.terminate()
                process.wait(timeout=30)

    def worker_rss(self) -> list[float]:
        """Resident memory (MiB) of each gunicorn worker (the master's children)."""
        assert self.process
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        sizes = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    """CPU, cores, memory, PostgreSQL and Python versions, and the commit measured."""
    import psycopg
    from sqlalchemy.engine import make_url

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                  .splitlines() if line.startswith("MemTotal:"))
    dsn = make_url(bench_url()).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(dsn) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(memory / 1024 / 1024, 1),
            "postgresql": postgres, "python": platform.python_version(),
            "os": platform.platform(), "git_commit": git_commit()}


def git_commit() -> str:
    """The commit measured, marked when the working tree differs from it (benchmarks/showcase.py
    stamps a section it adds to an earlier report with it too)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return commit + ("+changes" if dirty else "")
