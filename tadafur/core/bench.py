"""The benchmark's floor: a bare endpoint running one indexed query, served only when
BENCH_FLOOR is on (TADAFUR_BENCH_FLOOR=1).

Every page's latency is reported as a ratio to this one, measured on the same server in the
same run, so a figure says how far a page is from the cost of Flask + one round trip to the
database, whatever the machine.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy import text

from tadafur.access import public
from tadafur.extensions import db


@public
def floor():
    """One primary-key lookup on the project table, as JSON."""
    project_id = request.args.get("id", "1")
    row = db.session.execute(text("SELECT id, state FROM project WHERE id = :id"),
                             {"id": int(project_id) if project_id.isdigit() else 0}).first()
    db.session.rollback()
    return jsonify(id=row.id if row else None, state=row.state if row else None)


def register(app: Flask) -> None:
    if app.config.get("BENCH_FLOOR"):
        app.add_url_rule("/_bench/floor", "bench_floor", floor)
