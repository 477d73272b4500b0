"""Date rules as data: when each kind of date a user types may fall.

The `dates:` section of a workflow file names, per kind of date (a tranche paid, an expense,
a monitoring report's period, the committee, the council's deliberation...), the earliest and
latest day allowed, relative to the project's own milestones:

    dates:
      signature: in_execution     # the convention's signature = first entry into this state
      grace_days: 90              # `end_grace` = the project's end date + this many days
      rules:
        tranche_paid: {from: signature, to: end_grace, not_after_today: true}

Anchors: `created` (the project was created), `signature`, `start` and `end` (the project's
period), `end_grace`, `today`. A missing anchor (a project never signed, no end date yet)
falls back as documented in `_anchor`, or leaves that side open. Every refusal names the
range and what each bound is, in the user's language, so the user can correct the date.

Why data: programmes differ in what they tolerate (a grace period after the end for the last
payments and the final report; the first tranche paid on the day the convention is signed,
before the activities start) and those tolerances are decided by the programme, not coded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from tadafur.extensions import db
from tadafur.i18n import format_day
from tadafur.models_base import today
from tadafur.workflow import registry  # a module: registry imports definition, which imports this
from tadafur.workflow.models import TransitionRecord

ANCHORS = ("created", "signature", "start", "end", "end_grace", "today")
ANCHOR_LABELS = {
    "created": _l("the creation of the project"),
    "signature": _l("the signature of the convention"),
    "start": _l("the start of the project"),
    "end": _l("the end of the project"),
    "end_grace": _l("the end of the project and its grace period"),
    "today": _l("today"),
}


@dataclass(frozen=True)
class DateRule:
    kind: str
    start: str | None  # an anchor, or None: no lower bound
    end: str | None  # an anchor, or None: no upper bound
    not_after_today: bool


@dataclass(frozen=True)
class DateRules:
    signature_state: str = "in_execution"
    grace_days: int = 0
    rules: dict[str, DateRule] = field(default_factory=dict)


@dataclass(frozen=True)
class AllowedRange:
    """The days a kind of date may take on one project (bounds inclusive, None: open)."""

    start: dt.date | None
    start_anchor: str | None
    end: dt.date | None
    end_anchor: str | None

    def contains(self, day: dt.date) -> bool:
        return not ((self.start and day < self.start) or (self.end and day > self.end))

    def message(self) -> str:
        """What to type, naming each bound and where it comes from."""

        if self.start and self.end:
            if self.start > self.end:
                return _("No date is possible yet: the earliest allowed day, %(start)s "
                         "(%(start_what)s), is after the latest, %(end)s (%(end_what)s).",
                         start=format_day(self.start), end=format_day(self.end),
                         start_what=ANCHOR_LABELS[self.start_anchor],
                         end_what=ANCHOR_LABELS[self.end_anchor])
            return _("Enter a date from %(start)s (%(start_what)s) to %(end)s "
                     "(%(end_what)s).", start=format_day(self.start),
                     end=format_day(self.end), start_what=ANCHOR_LABELS[self.start_anchor],
                     end_what=ANCHOR_LABELS[self.end_anchor])
        if self.start:
            return _("Enter a date from %(start)s (%(start_what)s).",
                     start=format_day(self.start),
                     start_what=ANCHOR_LABELS[self.start_anchor])
        return _("Enter a date no later than %(end)s (%(end_what)s).",
                 end=format_day(self.end), end_what=ANCHOR_LABELS[self.end_anchor])


class DateRefused(Exception):
    """A date outside its allowed range; `message` is translated and names the range."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def read(reader: Any, raw: Any, states: dict) -> DateRules:
    """Read and check the `dates:` section (every mistake named with its key)."""
    if raw is None:
        return DateRules()
    key = "dates"
    raw = reader.mapping(raw, key)
    reader.known_keys(raw, {"signature", "grace_days", "rules"}, key)
    signature = raw.get("signature", "in_execution")
    if signature not in states:
        reader.error(f"{key}.signature", f"unknown state {signature!r}")
    grace = raw.get("grace_days", 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        reader.error(f"{key}.grace_days", f"must be a whole number of days from 0, not "
                     f"{grace!r}")
        grace = 0
    rules = {}
    for kind, item in reader.mapping(raw.get("rules") or {}, f"{key}.rules").items():
        item_key = f"{key}.rules.{kind}"
        item = reader.mapping(item, item_key)
        reader.known_keys(item, {"from", "to", "not_after_today"}, item_key)
        for side in ("from", "to"):
            if item.get(side) is not None and item[side] not in ANCHORS:
                reader.error(f"{item_key}.{side}", f"unknown anchor {item[side]!r} (known: "
                             + ", ".join(ANCHORS) + ")")
        rules[str(kind)] = DateRule(str(kind), item.get("from"), item.get("to"),
                                    bool(item.get("not_after_today", False)))
    return DateRules(str(signature), grace, rules)


def signature_day(project: Any, rules: DateRules) -> dt.date | None:
    """The day the project first entered the signature state (None: not signed yet)."""

    at = db.session.scalar(
        select(TransitionRecord.at).where(TransitionRecord.project_id == project.id,
                                          TransitionRecord.to_state == rules.signature_state)
        .order_by(TransitionRecord.seq).limit(1)) if project.id else None
    return at.date() if at else None


def _anchor(project: Any, rules: DateRules, name: str | None) -> dt.date | None:
    if name is None:
        return None
    if name == "today":
        return today()
    if name == "created":
        created = getattr(project, "created_at", None)
        return created.date() if created else None
    if name == "signature":
        # Not signed through the workflow (a project put in execution by other means): its
        # start date stands in for the signature.
        return signature_day(project, rules) or project.start_date
    if name == "start":
        return project.start_date
    if name == "end":
        return project.end_date
    if name == "end_grace":
        end = project.end_date
        return end + dt.timedelta(days=rules.grace_days) if end else None
    raise KeyError(name)


def allowed_range(project: Any, kind: str, rules: DateRules | None = None
                  ) -> AllowedRange | None:
    """The range of `kind` on `project`, or None when the workflow sets no rule for it."""
    rules = rules if rules is not None else _rules_of(project)
    rule = rules.rules.get(kind)
    if rule is None:
        return None
    start = _anchor(project, rules, rule.start)
    end = _anchor(project, rules, rule.end)
    start_anchor = rule.start if start else None
    end_anchor = rule.end if end else None
    if rule.not_after_today and (end is None or end > today()):
        end, end_anchor = today(), "today"
    return AllowedRange(start, start_anchor, end, end_anchor)


def check(project: Any, kind: str, day: dt.date | None, field: str | None = None
          ) -> dt.date:
    """`day` when it lies in the allowed range of `kind`; else DateRefused naming it."""
    if day is None:
        raise DateRefused(_("Enter a date."), field)
    allowed = allowed_range(project, kind)
    if allowed is not None and not allowed.contains(day):
        raise DateRefused(allowed.message(), field)
    return day


def bounds(project: Any, kind: str) -> dict[str, str]:
    """`min`/`max` attributes for the date input of `kind` (the browser helps, the server
    decides)."""
    allowed = allowed_range(project, kind)
    if allowed is None:
        return {}
    found = {}
    if allowed.start:
        found["min"] = allowed.start.isoformat()
    if allowed.end:
        found["max"] = allowed.end.isoformat()
    return found


def _rules_of(project: Any) -> DateRules:
    return registry.definition_of(project).dates
