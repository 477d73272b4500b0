"""The main navigation. Each domain adds its entries here, in display order."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tadafur.access import can


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # lazy string
    permission: str | None = None
    order: int = 50


NAV_ITEMS: list[NavItem] = [
    NavItem("core.dashboard", _l("My tasks"), None, 10),
    NavItem("projects.index", _l("Projects"), "project.list", 20),
    NavItem("notifications.inbox", _l("Notifications"), None, 30),
    NavItem("delegations.index", _l("Delegations"), "delegation.grant", 35),
    NavItem("organisations.communes", _l("Communes"), "reference.view", 60),
    NavItem("organisations.associations", _l("Associations"), "reference.view", 61),
    NavItem("showcase.library", _l("Lessons library"), "lessons.view", 65),
    NavItem("showcase.index", _l("Showcase"), None, 66),
    NavItem("projects.themes", _l("Themes"), "reference.manage", 70),
    NavItem("oversight.dashboard", _l("Dashboards"), "dashboards.view", 75),
    NavItem("audit.overview", _l("Audit trail"), "audit.view", 80),
    NavItem("jobs.index", _l("Background tasks"), "jobs.manage", 82),
    NavItem("accounts.users", _l("Users"), "users.manage", 90),
    NavItem("accounts.auditors", _l("Auditors"), "users.manage", 91),
]


def visible_items() -> list[dict]:
    items = []
    for item in sorted(NAV_ITEMS, key=lambda i: i.order):
        if item.endpoint not in current_app.view_functions:
            continue
        if item.permission and not can(current_user, item.permission):
            continue
        items.append({"url": url_for(item.endpoint), "label": item.label,
                      "current": request.endpoint == item.endpoint})
    return items
