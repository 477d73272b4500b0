"""The rules an activity's planned dates obey, wherever an activity is created: the plan tab
(`projects.services.add_activity`) and an amendment that adds one (`amendments.changes`).
One place, so that an amendment cannot plan what the plan tab would refuse."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from tadafur.i18n import format_day
from tadafur.projects.errors import ProjectError


def check_activity_dates(start: dt.date | None, end: dt.date | None,
                         period_start: dt.date | None, period_end: dt.date | None,
                         prefix: str = "") -> None:
    """Refuse (ProjectError naming `prefix`planned_start/_end) an end before the start or a
    date outside the period given; a bound that is None is not checked (the plan tab of a
    draft passes none: its period may still move; an amendment passes the signed one)."""
    if start and end and end < start:
        raise ProjectError(_("The end date must not be before the start date."),
                           f"{prefix}planned_end")
    for day, name in ((start, "planned_start"), (end, "planned_end")):
        if day is None:
            continue
        if (period_start and day < period_start) or (period_end and day > period_end):
            raise ProjectError(_(
                "Enter a date within the project's period (%(start)s to %(end)s).",
                start=format_day(period_start) if period_start else "—",
                end=format_day(period_end) if period_end else "—"), f"{prefix}{name}")
