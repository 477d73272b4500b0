"""Real processes for the fault tests: scratch PostgreSQL databases, a private PostgreSQL
cluster that may be stopped at will, gunicorn app servers, job workers (`flask --app wsgi
worker`), and a small cookie-keeping client that fills in the CSRF token as a browser would."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = "fault-tests-secret-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dsn(url: str, database: str | None = None) -> str:
    """libpq's form of a SQLAlchemy URL, on its own database or on `database`."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _admin_dsn(url: str) -> str:
    return _dsn(url, "postgres")


def create_database(base_url: str, name: str) -> str:
    """A new, empty database `name` on the server of `base_url`; returns its URL."""
    import psycopg

    with psycopg.connect(_admin_dsn(base_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


# ---------------------------------------------------------------- a private cluster

def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root without runuser")
    return [runuser, "-u", "postgres", "--", *command]


def cluster_unavailable() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"no initdb in {PG_BIN}"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
    return None


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on its own port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A",
                                     "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True)
        self.start()

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=50")
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` aborts like a crash (no checkpoint); the restart recovers from WAL."""
        self._ctl("-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- app servers

def _environment(database_url: str, documents: Path, seal: Path) -> dict[str, str]:
    """What every process of one platform shares (as production's servers and workers do):
    the database, the secret key, the document store and the seal. E-mails (the workers send
    them) go to an outbox beside the documents, never by a relay an instance/config.py may
    name nor into the checkout's instance/outbox; the test's own database variable is not
    passed on."""
    env = dict(os.environ, TADAFUR_DATABASE_URL=database_url, TADAFUR_SECRET_KEY=SECRET,
               TADAFUR_DOCUMENTS_DIR=str(documents), TADAFUR_SEAL_DIR=str(seal),
               TADAFUR_SEED_DEMO_DATA="0", TADAFUR_MAIL_SERVER="",
               TADAFUR_MAIL_OUTBOX=str(documents.parent / "outbox"))
    env.pop("TADAFUR_TEST_DATABASE_URL", None)
    return env


def _stop(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it has not ended after `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def app_server(database_url: str, documents: Path, seal: Path,
               workers: int = 2) -> Iterator[str]:
    """gunicorn serving wsgi:app on a free port; yields its base URL."""
    port = free_port()
    env = _environment(database_url, documents, seal)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = documents.parent / f"gunicorn-{port}.log"
    with open(log, "wb") as stderr:
        server = subprocess.Popen(
            [str(gunicorn), "--workers", str(workers), "--threads", "4", "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("app server did not start: "
                                       + log.read_text()[-2000:]) from None
                time.sleep(0.3)
        yield base
    finally:
        _stop(server, timeout=20)


# ---------------------------------------------------------------- job workers

@dataclass
class JobWorker:
    """A running `flask --app wsgi worker` and the file its output goes to."""

    process: subprocess.Popen
    log: Path

    def output(self, limit: int = 3000) -> str:
        """The end of what it printed (shown when a test fails)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log.name} (exit {self.process.poll()}) ---\n{text[-limit:]}"


@contextmanager
def job_worker(database_url: str, documents: Path, seal: Path,
               stop_timeout: float = 20) -> Iterator[JobWorker]:
    """`flask --app wsgi worker` (procrastinate on PostgreSQL) with the app servers'
    environment, as production runs it beside them; yields at once, so that it starts while
    the rest of the test does (`registered_workers` tells when it listens). Stopped with
    SIGTERM, which lets the job in hand finish, then killed after `stop_timeout`. Its log is
    printed to stderr when the block fails, so that pytest shows it with the failure."""
    flask = Path(sys.executable).parent / "flask"
    log = documents.parent / f"worker-{uuid.uuid4().hex[:6]}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([str(flask), "--app", "wsgi", "worker"], cwd=ROOT,
                                   env=_environment(database_url, documents, seal),
                                   stdout=output, stderr=subprocess.STDOUT)
    handle = JobWorker(process, log)
    try:
        yield handle
    except Exception:
        print(handle.output(), file=sys.stderr)
        raise
    finally:
        _stop(process, timeout=stop_timeout)


def registered_workers(database_url: str) -> int:
    """How many procrastinate workers are registered (each does so when it starts listening,
    and removes itself when it stops)."""
    import psycopg

    with psycopg.connect(_dsn(database_url), autocommit=True) as connection:
        return connection.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Keeps cookies, sends the CSRF token the last page carried; never follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.token = ""

    def request(self, method: str, path: str, data: dict | None = None,
                timeout: float = 30) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers={"Accept-Language": "en"})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        found = CSRF.search(text)
        if found:
            self.token = found.group(1)
        return status, text

    def login(self, email: str, password: str) -> None:
        self.request("GET", "/login")
        status, text = self.request("POST", "/login", {"email": email, "password": password})
        assert status in (302, 303), (status, text[:300])
        self.request("GET", "/projects")
