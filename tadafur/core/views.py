"""Home (dashboard) and the health check used by load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from tadafur.access import authenticated, public
from tadafur.core import dashboard as panels
from tadafur.extensions import db

blueprint = Blueprint("core", __name__)


@blueprint.route("/")
@authenticated
def dashboard():
    return render_template("core/dashboard.html", panels=panels.for_user(current_user))


@blueprint.route("/health")
@public
def health():
    """200 when the database answers, 503 otherwise: for the load balancer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means unhealthy; the error handler would hide it
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
