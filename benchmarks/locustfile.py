"""The benchmark's virtual users for Locust: one user class per role, the same mix for all.

Started by benchmarks/load.py (`locust -f benchmarks/locustfile.py --headless ...`), which
passes, in the environment:

- TADAFUR_BENCH_PLAN: the accounts per role (benchmarks/plan.py), JSON;
- TADAFUR_BENCH_OUTPUT: where to write, at the end, Locust's statistics of the measured window
  and every request's sample (client time, the server's own time from the Server-Timing
  header, status, users running);
- TADAFUR_BENCH_THINK: think time "min,max" in seconds (default 0.5,1.5; "0,0" back to back);
- TADAFUR_BENCH_WARMUP and TADAFUR_BENCH_SECONDS: when every user is running, Locust's
  statistics are reset after the warm-up and the run stops `SECONDS` later. Left unset for the
  ramp (benchmarks/ramp.py decides the users and the end; load.py cuts its samples by step).

Users log in through the real login form with its CSRF token, as a person does; the logins
are labelled and left out of the pages' figures (they come before the warm-up ends).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.mix import CSRF, Account, choose  # noqa: E402
from benchmarks.plan import read_plan  # noqa: E402

SERVER_TIMING = re.compile(r"\bapp;dur=([0-9.]+)")
PLAN = read_plan(Path(os.environ["TADAFUR_BENCH_PLAN"]))
THINK = tuple(float(x) for x in os.environ.get("TADAFUR_BENCH_THINK", "0.5,1.5").split(","))
WARMUP = float(os.environ.get("TADAFUR_BENCH_WARMUP", "0"))
SECONDS = float(os.environ.get("TADAFUR_BENCH_SECONDS", "0"))


class Recorder:
    """Every request's sample, and the measured window, written out when Locust quits."""

    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []
        self.started_at = time.time()
        self.measured_from: float | None = None
        self.stopped_at: float | None = None
        self.users: dict[str, int] = {}
        self.environment: Environment | None = None
        self.logged_in = 0

    def record(self, name: str, method: str, client_ms: float, response: Any,
               exception: Any) -> None:
        header = (response.headers.get("Server-Timing") or "") if response is not None else ""
        match = SERVER_TIMING.search(header)
        runner = self.environment.runner if self.environment else None
        self.samples.append({
            "t": round(time.time(), 3), "name": name, "method": method,
            "client_ms": round(client_ms, 2),
            "server_ms": float(match.group(1)) if match else None,
            "status": getattr(response, "status_code", 0) or 0, "error": bool(exception),
            "users": runner.user_count if runner else 0})


RECORDER = Recorder()
_accounts: dict[str, count] = {role: count() for role in PLAN}


def next_account(role: str) -> Account:
    """The role's next planned account; when Locust runs more users of a role than planned,
    they share accounts, but only the first holder of an account signs its drafts."""
    n = next(_accounts[role])
    accounts = PLAN[role]
    account = accounts[n % len(accounts)]
    if n >= len(accounts):
        account = Account(**{**account.__dict__, "drafts": []})
    return account


class RoleUser(FastHttpUser):
    """A logged-in person of `role`, sending the role's mix with a think time between."""

    abstract = True
    role = ""
    wait_time = between(*THINK)  # type: ignore[arg-type]
    default_headers = {"Accept-Language": "ar"}

    def on_start(self) -> None:
        self.account = next_account(self.role)
        self.rng = random.Random(hash((self.role, id(self))))
        page = self.client.get("/login", name="login page")
        with self.client.post("/login", name="login POST", allow_redirects=False,
                              catch_response=True, data={
                                  "email": self.account.email,
                                  "password": self.account.password,
                                  "csrf_token": _token(page.text)}) as response:
            logged_in = response.status_code in (302, 303)
            if not logged_in:
                response.failure(f"login of {self.account.email}: {response.status_code}")
        if not logged_in:
            _logged_in()
            self.stop()
            return
        self.csrf = _token(self.client.get("/projects", name="login landing").text)
        _logged_in()

    @task
    def next_request(self) -> None:
        request = choose(self.account, self.rng)
        form = {**request.form, "csrf_token": self.csrf} if request.form else None
        self.client.request(request.method, request.url, name=request.label, data=form,
                            headers=request.headers, allow_redirects=False)
        if request.label == "sign-off POST":
            self.account.drafts.pop()


def _token(page: str | None) -> str:
    match = CSRF.search(page or "")
    return match.group(1) if match else ""


class OfficerUser(RoleUser):
    role = "officer"


class ReviewerUser(RoleUser):
    role = "reviewer"


class AdminUser(RoleUser):
    role = "admin"


class AgentUser(RoleUser):
    role = "agent"


class PresidentUser(RoleUser):
    role = "president"


class MemberUser(RoleUser):
    role = "member"


class ChairUser(RoleUser):
    role = "chair"


@events.init.add_listener
def _keep_environment(environment: Environment, **_: Any) -> None:
    RECORDER.environment = environment


@events.test_start.add_listener
def _started(**_: Any) -> None:
    RECORDER.started_at = time.time()  # the ramp's steps count from here


@events.request.add_listener
def _sample(request_type: str, name: str, response_time: float, response: Any = None,
            exception: Any = None, **_: Any) -> None:
    RECORDER.record(name, request_type, response_time, response, exception)


def _logged_in() -> None:
    """Once every user has logged in (or failed to): wait out the warm-up, reset Locust's
    statistics, stop `SECONDS` later. Counted from the logins rather than from Locust's
    spawning_complete, which comes before them: on fresh workers under load the logins alone
    can take seconds. Only for fixed runs (SECONDS set) and only once."""
    RECORDER.logged_in += 1
    environment = RECORDER.environment
    if (SECONDS <= 0 or RECORDER.measured_from is not None or environment is None
            or RECORDER.logged_in < environment.parsed_options.num_users):
        return

    def start() -> None:
        environment.stats.reset_all()
        RECORDER.measured_from = time.time()
        RECORDER.users = dict(environment.runner.user_classes_count)
        gevent.spawn_later(SECONDS, stop)

    def stop() -> None:
        RECORDER.stopped_at = time.time()
        environment.runner.quit()

    RECORDER.measured_from = 0.0  # scheduled
    gevent.spawn_later(WARMUP, start)


@events.quitting.add_listener
def _write(environment: Environment, **_: Any) -> None:
    stats = environment.stats
    output = {
        "started_at": RECORDER.started_at, "measured_from": RECORDER.measured_from or None,
        "stopped_at": RECORDER.stopped_at or time.time(), "users": RECORDER.users,
        "stats": [entry.serialize() for entry in stats.entries.values() if entry.num_requests],
        "errors": list(stats.serialize_errors().values()),
        "samples": RECORDER.samples,
    }
    Path(os.environ["TADAFUR_BENCH_OUTPUT"]).write_text(json.dumps(output))
