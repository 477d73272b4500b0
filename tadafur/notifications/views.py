"""The notifications inbox, marking as read, and the unread badge (refreshed every minute)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from tadafur.access import authenticated
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.extensions import db
from tadafur.notifications import services

blueprint = Blueprint("notifications", __name__)


@blueprint.route("/notifications")
@authenticated
def inbox():
    return render_template("notifications/inbox.html",
                           notifications=services.inbox(current_user, limit=100),
                           unread=services.unread_count(current_user))


@blueprint.route("/notifications/read", methods=["POST"])
@authenticated
def mark_read():
    """Mark one (`id`) or all (`all=1`) of my notifications as read."""
    if request.form.get("all") == "1":
        ids = [n.id for n in services.inbox(current_user, limit=1000) if n.read_at is None]
    else:
        raw = request.form.getlist("id")
        ids = [int(value) for value in raw if value.isdigit() and len(value) < 10]
    if ids:
        services.mark_read(current_user, ids)
        db.session.commit()
    if is_htmx():
        return render_template("notifications/_inbox_list.html",
                               notifications=services.inbox(current_user, limit=100),
                               unread=services.unread_count(current_user), oob_badge=True)
    return redirect_to(url_for("notifications.inbox"))


@blueprint.route("/notifications/badge")
@authenticated
def badge():
    return render_template("notifications/_badge.html",
                           unread=services.unread_count(current_user))


def _unread_notifications() -> int:
    """For the layout: counted only when a page asks for it."""
    if not current_user or not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user)


def template_helpers() -> dict:
    return {"unread_notifications": _unread_notifications}
