"""My tasks: the monitoring reports that await my validation (home page panel)."""

from __future__ import annotations

from typing import Any

from tadafur.core.dashboard import Panel
from tadafur.reporting import services


def reports_awaiting_panel(user: Any) -> Panel | None:
    reports = services.awaiting_validation(user)
    if not reports:
        return None
    return Panel("reporting/_awaiting_panel.html", {"reports": reports[:50]})
