"""benchmarks/REPORT.md from report.json's content (benchmarks/load.py builds it; so does
benchmarks/showcase.py --report when it measures the showcase again)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.report import (
    PAGE_CLIENT_P95_MS,
    PAGE_SERVER_P95_MS,
    POST_SERVER_P95_MS,
    SHOWCASE_SERVER_P95_MS,
    budgets,
    is_page,
    showcase_p95,
)

DIRECTORY = Path(__file__).resolve().parent


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _under(value: float | None, limit: float) -> str:
    return _yes(value is not None and value < limit)


def _page_verdict(row: dict, key: str, limit: float) -> str:
    """A page budget's column: a POST is not judged there (its budget is the POSTs' table's)."""
    return _under(row[key], limit) if is_page(row) else "-"


def _phase_line(title: str, phase: dict, think: list[float]) -> str:
    roles = ", ".join(f"{k.removesuffix('User').lower()} {v}" for k, v in phase["roles"].items())
    gen = phase["generator"]
    return (f"- {title}: gunicorn {phase['workers']} sync workers; {phase['users']} users "
            f"({roles}), think time {think[0]}-{think[1]} s; {phase['measured_seconds']} s "
            f"measured; {phase['total_requests']} requests, {phase['throughput']} req/s; "
            f"worker RSS {phase['worker_rss_mib']} MiB; load generator CPU "
            f"{gen['cpu_seconds']} s in {gen['wall_seconds']} s "
            f"({gen['cpu_percent_of_one_core']} % of one core); 1-min load average peaked at "
            f"{phase['load_max_1min']}.")


def _endpoints(phase: dict) -> list[str]:
    lines = ["| endpoint | requests | req/s | client p50 | p95 | p99 | server p50 | p95 | p99 "
             f"| client p95 / floor | server p95 / floor | server p95 < {PAGE_SERVER_P95_MS:g} "
             f"| client p95 < {PAGE_CLIENT_P95_MS:g} | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| --- | --- | --- |"]
    for label, r in phase["rows"].items():
        errors = "; ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "-"
        lines.append(
            f"| {label} | {r['requests']} | {r['per_second']} | {_ms(r['client_p50_ms'])} | "
            f"{_ms(r['client_p95_ms'])} | {_ms(r['client_p99_ms'])} | "
            f"{_ms(r['server_p50_ms'])} | {_ms(r['server_p95_ms'])} | "
            f"{_ms(r['server_p99_ms'])} | {_ms(r['client_p95_vs_floor'])} | "
            f"{_ms(r['server_p95_vs_floor'])} | "
            f"{_page_verdict(r, 'server_p95_ms', PAGE_SERVER_P95_MS)} | "
            f"{_page_verdict(r, 'client_p95_ms', PAGE_CLIENT_P95_MS)} | {errors} |")
    return lines


def _posts(phases: dict) -> list[str]:
    lines = ["| POST | workers | requests | server p50 | server p95 | client p95 "
             f"| server p95 < {POST_SERVER_P95_MS:g} | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for phase in (phases.get("main"), phases.get("more_workers")):
        for label, r in (phase or {}).get("posts", {}).items():
            lines.append(f"| {label} | {phase['workers']} | {r['requests']} | "
                         f"{_ms(r['server_p50_ms'])} | {_ms(r['server_p95_ms'])} | "
                         f"{_ms(r['client_p95_ms'])} | "
                         f"{_judged(r, r['server_p95_ms'], POST_SERVER_P95_MS)} | "
                         f"{r['errors']} |")
    return [*lines, "", "Logins come all at once when the users start, on workers that have "
            "not served a page yet: shown, not judged."]


def _judged(row: dict, value: float | None, limit: float) -> str:
    verdict = _under(value, limit)
    return verdict if row["judged"] else f"({verdict}, not judged)"


def _ramp(ramp: dict) -> list[str]:
    knee = ramp["knee_users"]
    gen = ramp["generator"]
    lines = [f"Gunicorn {ramp['workers']} workers; each step {ramp['step_seconds']} s, its "
             f"first {ramp['settle_seconds']} s (the new users logging in) left out; load "
             f"generator CPU {gen['cpu_seconds']} s in {gen['wall_seconds']} s "
             f"({gen['cpu_percent_of_one_core']} % of one core); 1-min load average peaked at "
             f"{ramp['load_max_1min']}; worker RSS at the end {ramp['worker_rss_mib']} MiB.", "",
             "**Knee** (client p95 passes "
             f"{ramp['knee_client_p95_ms']:g} ms): "
             + (f"{knee} users." if knee else "not reached."), "",
             "| users | requests | req/s | client p50 | client p95 | server p95 | errors |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in ramp["steps"]:
        lines.append(f"| {s['users']} | {s['requests']} | {s['per_second']} | "
                     f"{_ms(s['client_p50_ms'])} | {_ms(s['client_p95_ms'])} | "
                     f"{_ms(s['server_p95_ms'])} | {s['errors']} |")
    return lines


def _solo(solo: dict) -> list[str]:
    lines = ["| role | endpoint | requests | client p50 | client p95 | server p50 | server p95 "
             "| server p50 / floor |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for role, phase in solo.items():
        for label, r in phase["rows"].items():
            ratio = (round(r["server_p50_ms"] / phase["rows"]["floor"]["server_p50_ms"], 1)
                     if "floor" in phase["rows"] and r["server_p50_ms"] else None)
            lines.append(f"| {role} | {label} | {r['requests']} | {_ms(r['client_p50_ms'])} | "
                         f"{_ms(r['client_p95_ms'])} | {_ms(r['server_p50_ms'])} | "
                         f"{_ms(r['server_p95_ms'])} | {_ms(ratio)} |")
    return lines


def _showcase_title(showcase: dict) -> str:
    return ("Public showcase and lessons library, one user, "
            f"{showcase['published_projects']:,} published projects")


def _showcase(showcase: dict) -> list[str]:
    apart = showcase.get("measured_apart")
    when = (f"Measured apart from the load phases above, on {apart['at']} (git "
            f"{apart['git_commit']}), by `benchmarks/showcase.py --report`" if apart else
            "Measured after the load phases")
    lines = [f"{when}, in one process: Flask's test client on the benchmark's database, no "
             "gunicorn, nothing queued. Each page once to warm up, then "
             f"{showcase['runs']} times; server time is the test client's call; statements are "
             f"the SQL statements of one request. {showcase['lessons']:,} lessons in the index. "
             f"Load average (1, 5, 15 min) at the start: {showcase['load_start']}, at the end: "
             f"{showcase['load_end']}. "
             "Issue 19's budget covers the list and search pages (the Atom feed is the list of "
             "the newest publications); the project page is shown, not judged.", "",
             "| visitor | page | status | server p50 | server p95 | statements | bytes "
             f"| server p95 < {SHOWCASE_SERVER_P95_MS:g} |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in showcase["rows"]:
        lines.append(f"| {r['visitor']} | `{r['page']}` | {r['status']} | "
                     f"{_ms(r['server_p50_ms'])} | {_ms(r['server_p95_ms'])} | "
                     f"{r['statements']} | {r['bytes']} | "
                     f"{_judged(r, showcase_p95(r), SHOWCASE_SERVER_P95_MS)} |")
    return lines


def _data(data: dict) -> list[str]:
    if not data:
        return ["(no seed report)"]
    counts = data["counts"]
    return [*[f"- {k.replace('_', ' ')}: {v}" for k, v in counts.items() if k != "states"],
            f"- states: {', '.join(f'{k} {v}' for k, v in counts['states'].items())}",
            f"- document bytes: {data['document_bytes']}",
            f"- seeding took {data['total_seconds']} s "
            f"({'; '.join(f'{k} {v} s' for k, v in data['seconds'].items())})"]


def render(report: dict) -> str:
    m, run, phases = report["machine"], report["run"], report["phases"]
    think = run["think_time_seconds"]
    lines = [
        "# Benchmark report", "",
        f"Generated by `make bench` on {run['finished_at']} (git {m['git_commit']}); every "
        "figure below is from this one run"
        + (", but the showcase's, measured apart (see its section)."
           if report.get("showcase", {}).get("measured_apart") else "."),
        "", "## Machine", "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']}",
        f"- PostgreSQL {m['postgresql']}, Python {m['python']}",
        f"- Load average (1, 5, 15 min) at the start: {run['load_start']}, at the end: "
        f"{run['load_end']}. Locust, gunicorn and PostgreSQL share these cores; a load "
        "average above the core count means other work was running too.", "",
        "## Data", "", *_data(report["data"]), "", "## Budgets", "",
        "| budget | worst measured | met | misses |", "| --- | ---: | --- | --- |",
        *[f"| {b['budget']} | {_ms(b['worst'])} | {_yes(b['ok'])} | "
          f"{', '.join(b['misses']) or '-'} |" for b in report["budgets"]], "",
        "## Runs", ""]
    for key, title in (("main", "Run"), ("more_workers", "More workers")):
        if key in phases:
            lines.append(_phase_line(title, phases[key], think))
    lines += ["- Each run: the users log in through the login form (CSRF on, Accept-Language "
              f"ar), {run['warmup_seconds']} s warm-up, then Locust's statistics are reset.",
              "- floor: `/_bench/floor`, Flask plus one primary-key query on the same server.",
              ""]
    for key, title in (("main", "Results"), ("more_workers", "Results, more workers")):
        if key in phases:
            phase = phases[key]
            lines += [f"## {title}: {phase['users']} users, {phase['workers']} workers", "",
                      *_endpoints(phase), ""]
    lines += ["## Interactive POSTs (server side)", "", *_posts(phases), ""]
    if "ramp" in phases:
        lines += ["## Ramp: users with think time", "", *_ramp(phases["ramp"]), ""]
    if "solo" in phases:
        lines += ["## One user of each role, no think time (service time, without queueing)",
                  "", f"Each role alone for {run['solo_seconds']} s after a 3-s warm-up, on "
                  f"the first server ({phases['main']['workers']} workers); no POSTs.", "",
                  *_solo(phases["solo"]), ""]
    if "showcase" in report:
        lines += [f"## {_showcase_title(report['showcase'])}", "",
                  *_showcase(report["showcase"]), ""]
    if report.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in report["notes"]], ""]
    return "\n".join(lines)


def write(report: dict, directory: Path = DIRECTORY) -> None:
    """benchmarks/report.json and REPORT.md from `report`, its budgets judged afresh from its
    figures (a section added later, the showcase's, must count in them)."""
    report = report | {"budgets": budgets(report["phases"], report.get("showcase"))}
    (directory / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (directory / "REPORT.md").write_text(render(report))
