"""The integrity panel: verify the chain on demand (programme officers, reviewers, admins)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from tadafur.access import requires
from tadafur.audit.models import AuditEvent
from tadafur.audit.services import verify_chain
from tadafur.extensions import db

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.route("/")
@requires("audit.view")
def overview():
    latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(50))
    return render_template("audit/overview.html", events=list(latest))


@blueprint.route("/verify")
@requires("audit.view")
def verify():
    result = verify_chain()
    return render_template("audit/_verify_result.html", result=result)
