"""Turn what a Locust run wrote (benchmarks/locustfile.py) into the report's figures.

No Locust import: importing Locust monkey-patches the process with gevent, which the test
suite (tests/benchmarks) must not suffer. Two sources, on purpose:

- the client's figures per endpoint (requests, failures, p50/p95/p99) are Locust's own
  statistics of the measured window; its percentiles come from its rounded histogram (1 ms
  below 100 ms, 10 ms below 1 s), computed here exactly as Locust does;
- the server's time exists only in the samples (the Server-Timing header of each response),
  so its percentiles are exact ones over the same window. The ramp's steps are cut from the
  samples too (Locust's statistics cover a whole run).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from benchmarks.mix import LOGIN_LABELS

PAGE_SERVER_P95_MS = 100.0  # every page, server side, at 20 users
PAGE_CLIENT_P95_MS = 100.0  # every page, client side, at 20 users with 4 workers
POST_SERVER_P95_MS = 300.0  # every interactive POST, server side
SHOWCASE_SERVER_P95_MS = 100.0  # issue 19: the showcase's list and search pages, one user
WORKER_RSS_MIB = 250.0
KNEE_CLIENT_P95_MS = 250.0  # the ramp's knee: client p95 passes this
FLOOR = "floor"


def percentile(values: Iterable[float], p: int) -> float | None:
    """Exact percentile (inclusive method), None without values."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return round(data[0], 1)
    return round(statistics.quantiles(data, n=100, method="inclusive")[p - 1], 1)


def locust_percentile(response_times: dict, num_requests: int, p: int) -> float | None:
    """Locust's percentile over its histogram (locust.stats.calculate_response_time_percentile):
    the smallest bucket that at least p % of the requests finished within."""
    if not num_requests:
        return None
    histogram = {float(k): n for k, n in response_times.items()}  # JSON made the keys str
    below = int(num_requests * (p / 100))  # Locust's arithmetic, float rounding included
    seen = 0
    for bucket in sorted(histogram, reverse=True):
        seen += histogram[bucket]
        if num_requests - seen <= below:
            return bucket
    return 0.0


def measured(output: dict) -> tuple[list[dict], float]:
    """The samples of the measured window (logins left out) and the window's length."""
    start = output.get("measured_from") or output["started_at"]
    end = output["stopped_at"]
    return ([s for s in output["samples"]
             if start <= s["t"] <= end and s["name"] not in LOGIN_LABELS],
            max(end - start, 1e-9))


def endpoint_rows(output: dict) -> dict[str, dict]:
    """One row per endpoint: Locust's client figures beside the server's, and the floor ratio."""
    samples, seconds = measured(output)
    server: dict[str, list[float]] = {}
    for s in samples:
        if s["server_ms"] is not None:
            server.setdefault(s["name"], []).append(s["server_ms"])
    errors: dict[str, dict[str, int]] = {}
    for e in output["errors"]:
        errors.setdefault(e["name"], {})[e["error"]] = e["occurrences"]
    rows = {}
    for entry in sorted(output["stats"], key=lambda e: e["name"]):
        name, count = entry["name"], entry["num_requests"]
        if name in LOGIN_LABELS:
            continue
        client = {p: locust_percentile(entry["response_times"], count, p) for p in (50, 95, 99)}
        srv = {p: percentile(server.get(name, []), p) for p in (50, 95, 99)}
        rows[name] = {
            "method": entry["method"], "requests": count,
            "per_second": round(count / seconds, 2), "failures": entry["num_failures"],
            **{f"client_p{p}_ms": v for p, v in client.items()},
            **{f"server_p{p}_ms": v for p, v in srv.items()},
            "errors": errors.get(name, {})}
    floor = rows.get(FLOOR)
    for row in rows.values():
        for side, p in (("client", 50), ("client", 95), ("server", 95)):
            key = f"{side}_p{p}_ms"
            base = floor[key] if floor else None
            row[f"{side}_p{p}_vs_floor"] = (round(row[key] / base, 1)
                                            if base and row[key] is not None else None)
    return rows


def post_rows(output: dict) -> dict[str, dict]:
    """Every POST of the run (the warm-up included: POSTs are few), server side. The logins
    are shown but not judged: they all come at once, at spawn, on workers that have not yet
    served a page (templates, catalogues), which says little about a person logging in."""
    by_name: dict[str, list[dict]] = {}
    for s in output["samples"]:
        if s["method"] == "POST":
            by_name.setdefault(s["name"], []).append(s)
    return {name: {"requests": len(rows),
                   "server_p50_ms": percentile([r["server_ms"] for r in rows
                                                if r["server_ms"] is not None], 50),
                   "server_p95_ms": percentile([r["server_ms"] for r in rows
                                                if r["server_ms"] is not None], 95),
                   "client_p95_ms": percentile([r["client_ms"] for r in rows], 95),
                   "errors": sum(1 for r in rows if r["error"]),
                   "judged": name not in LOGIN_LABELS}
            for name, rows in sorted(by_name.items())}


def ramp_steps(output: dict, steps: list[int], step_seconds: float,
               settle: float) -> list[dict]:
    """Throughput and percentiles of each step, leaving out its first `settle` seconds."""
    result = []
    for k, users in enumerate(steps):
        start = output["started_at"] + k * step_seconds + settle
        end = min(output["started_at"] + (k + 1) * step_seconds, output["stopped_at"])
        window = [s for s in output["samples"]
                  if start <= s["t"] < end and s["name"] not in LOGIN_LABELS]
        seconds = max(end - start, 1e-9)
        result.append({
            "users": users, "seconds": round(seconds, 1), "requests": len(window),
            "per_second": round(len(window) / seconds, 1),
            "client_p50_ms": percentile([s["client_ms"] for s in window], 50),
            "client_p95_ms": percentile([s["client_ms"] for s in window], 95),
            "server_p95_ms": percentile([s["server_ms"] for s in window
                                         if s["server_ms"] is not None], 95),
            "errors": sum(1 for s in window if s["error"])})
    return result


def knee(steps: list[dict], limit: float = KNEE_CLIENT_P95_MS) -> int | None:
    """The first user count whose client p95 passes `limit`; None when none does."""
    return next((s["users"] for s in steps
                 if s["client_p95_ms"] is not None and s["client_p95_ms"] > limit), None)


def is_page(row: dict) -> bool:
    """Whether an endpoint row is a page, judged against the page budgets; a POST has its own
    budget (POST_SERVER_P95_MS, over post_rows), so the page budgets neither count nor show it."""
    return row["method"] == "GET"


def showcase_p95(row: dict) -> float | None:
    """A showcase row's server p95 for its budget; None (a miss) unless the page answered 200:
    a redirect to the login page is fast and says nothing about the page."""
    return row["server_p95_ms"] if row["status"] == 200 else None


def _verdict(name: str, limit: float, values: dict[str, float | None]) -> dict:
    """A budget: every value under `limit` (a missing value is a miss: nothing measured)."""
    misses = sorted(k for k, v in values.items() if v is None or v >= limit) or (
        [] if values else ["nothing measured"])
    measured_values = [v for v in values.values() if v is not None]
    return {"budget": name, "limit": limit, "ok": not misses,
            "worst": max(measured_values) if measured_values else None, "misses": misses}


def budgets(phases: dict, showcase: dict | None = None) -> list[dict]:
    """The issues' budgets, each judged from the run's figures (never written in by hand);
    `showcase` is benchmarks/showcase.py's section, when it was measured."""
    main, more = phases.get("main"), phases.get("more_workers")
    result = []
    if main:
        result.append(_verdict(
            f"server p95 < {PAGE_SERVER_P95_MS:.0f} ms, every page, {main['users']} users, "
            f"{main['workers']} workers", PAGE_SERVER_P95_MS,
            {k: r["server_p95_ms"] for k, r in main["rows"].items() if is_page(r)}))
    if more:
        result.append(_verdict(
            f"client p95 < {PAGE_CLIENT_P95_MS:.0f} ms, every page, {more['users']} users, "
            f"{more['workers']} workers", PAGE_CLIENT_P95_MS,
            {k: r["client_p95_ms"] for k, r in more["rows"].items() if is_page(r)}))
    if showcase:
        result.append(_verdict(
            f"showcase list and search pages, server p95 < {SHOWCASE_SERVER_P95_MS:.0f} ms, "
            "one user", SHOWCASE_SERVER_P95_MS,
            {f"{r['page']} ({r['visitor']})": showcase_p95(r) for r in showcase["rows"]
             if r["judged"]}))
    posts = {f"{name} ({phase['workers']} workers)": row["server_p95_ms"]
             for phase in (main, more) if phase for name, row in phase["posts"].items()
             if row["judged"]}
    if posts:
        result.append(_verdict(f"server p95 < {POST_SERVER_P95_MS:.0f} ms, every interactive "
                               "POST of the mix", POST_SERVER_P95_MS, posts))
    rss = {f"{phase['workers']} workers #{n + 1}": mib for phase in (main, more) if phase
           for n, mib in enumerate(phase["worker_rss_mib"])}
    if rss:
        result.append(_verdict(f"worker RSS < {WORKER_RSS_MIB:.0f} MiB", WORKER_RSS_MIB, rss))
    return result
