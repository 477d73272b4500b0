"""The benchmark's instruments, each off unless its setting is on (never in production):

- the floor (BENCH_FLOOR, TADAFUR_BENCH_FLOOR=1): a bare endpoint running one indexed query.
  Every page's latency is reported as a ratio to this one, measured on the same server in the
  same run, so a figure says how far a page is from the cost of Flask + one round trip to the
  database, whatever the machine;
- the server's own time (BENCH_SERVER_TIMING, TADAFUR_BENCH_SERVER_TIMING=1): a
  `Server-Timing: app;dur=<ms>` header on every response. The client's time includes the wait
  in gunicorn's queue and the load generator's own delays; the header says how much of it was
  spent inside the worker, per request, so the report can put both side by side. Off by
  default because it hands anyone a precise timing oracle (how long a login or a search took
  inside the server) for no benefit to users.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import text

from tadafur.access import public
from tadafur.extensions import db

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@public
def floor():
    """One primary-key lookup on the project table, as JSON."""
    project_id = request.args.get("id", "1")
    row = db.session.execute(text("SELECT id, state FROM project WHERE id = :id"),
                             {"id": int(project_id) if project_id.isdigit() else 0}).first()
    db.session.rollback()
    return jsonify(id=row.id if row else None, state=row.state if row else None)


class ServerTiming:
    """WSGI middleware adding `Server-Timing: app;dur=<ms>` to every response.

    Outermost, so the time covers everything Flask does (routing, hooks, the session cookie,
    the view, after-request hooks) up to the moment the headers leave; a streamed body (a
    document download) is read from disk after that, which is small beside the rest.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed(status: str, headers: list[tuple[str, str]], *exc_info: Any):
            elapsed = (time.perf_counter() - started) * 1000
            headers.append(("Server-Timing", f"app;dur={elapsed:.2f}"))
            return start_response(status, headers, *exc_info)

        return self.app(environ, timed)


def register(app: Flask) -> None:
    if app.config.get("BENCH_FLOOR"):
        app.add_url_rule("/_bench/floor", "bench_floor", floor)
    if app.config.get("BENCH_SERVER_TIMING"):
        app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
