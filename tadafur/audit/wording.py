"""Audit events put into words when read, in the reader's language.

A stored event never changes (its hash covers every column), and older events hold summaries
written in whichever language their author spoke. So pages and exports never show the stored
summary: they say what happened from the event's codes (action, object, before/after values)
through tadafur.vocabulary. The stored summary stays in the CSV export, as recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Row, Select, select

from tadafur.accounts.models import AuditorGrant, User
from tadafur.amendments.models import Amendment
from tadafur.audit.models import AuditEvent
from tadafur.delegations.models import Delegation
from tadafur.documents.models import RegisteredDocument
from tadafur.execution.models import (
    ActivityProgress,
    Attachment,
    Expense,
    IndicatorValue,
    Tranche,
)
from tadafur.extensions import db
from tadafur.i18n import format_day, localized, ltr, money
from tadafur.jobs.models import Job
from tadafur.jobs.registry import kind_label as job_kind_label
from tadafur.organisations.models import Association, Commune, Institution, Province
from tadafur.projects.models import (
    Activity,
    BudgetLine,
    Indicator,
    Message,
    Project,
    Theme,
)
from tadafur.reporting.models import Evaluation, EvaluationEntry, FinalReport, MonitoringReport
from tadafur.showcase.models import PublicPhoto, Replication
from tadafur.vocabulary import (
    STATES,
    field_label,
    format_value,
    label,
    labelled_fields,
    language_words,
    list_words,
    loads,
)
from tadafur.workflow.models import SignOff

SEPARATOR = Markup(" · ")
USER_TEXT_KEYS = ("title", "name", "description", "display_name")


def project_references(events: Iterable[AuditEvent]) -> dict[int, str]:
    """Project id -> reference, for a page of events, in one query."""

    ids = {e.project_id for e in events if e.project_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Project.id, Project.reference)
                                   .where(Project.id.in_(ids))).all())


def _user_text(value: object) -> Markup:
    return Markup('<span dir="auto">{}</span>').format(value)


def details(event: AuditEvent, reference: str | None = None,
            typed_apart: list[str] | None = None) -> Markup:
    """What the event did, in words: the project, the step (from → to), the party and its
    decision, the document, the amount, what a user typed. Never codes, never JSON.

    With `typed_apart`, what a user typed is put in that list instead (the PDF extract prints
    it as a block of its own direction: an inline French comment wrapped inside an Arabic
    cell loses its isolate at the line break and prints ".le comité")."""
    before, after = loads(event.before), loads(event.after)
    parts: list[Markup] = []

    def user_text(value: str) -> None:
        if typed_apart is not None:
            typed_apart.append(value)
        else:
            parts.append(_user_text(value))

    if reference:
        parts.append(ltr(reference))
    old, new = before.get("state"), after.get("state")
    if new in STATES and old in STATES and old != new:
        parts.append(escape(_("from “%(old)s” to “%(new)s”", old=label("state", old),
                              new=label("state", new))))
    elif new in STATES and not old:
        parts.append(escape(label("state", new)))
    old_status, new_status = before.get("status"), after.get("status")
    if new_status and old_status and old_status != new_status:
        parts.append(escape(_("from “%(old)s” to “%(new)s”", old=label("status", old_status),
                              new=label("status", new_status))))
    if after.get("gate"):
        parts.append(escape(label("gate", after["gate"])))
    if after.get("party"):
        party = label("party", after["party"])
        if after.get("decision"):
            party = f"{party}: {label('decision', after['decision'])}"
        parts.append(escape(party))
    if after.get("kind"):
        document = label("document", after["kind"])
        if after.get("version"):
            document = _("%(document)s, version %(version)s", document=document,
                         version=after["version"])
        if after.get("language"):
            document = f"{document} ({language_words(after['language'])})"
        parts.append(escape(document))
    if after.get("amount") is not None:
        amount = money(after["amount"])
        if after.get("funder"):
            amount = amount + Markup(" · ") + escape(label("funder", after["funder"]))
        parts.append(amount)
    for key in USER_TEXT_KEYS:
        if after.get(key) and isinstance(after[key], str):
            user_text(after[key])
            break
    if event.action.startswith("user.") and after.get("role"):
        parts.append(escape(label("role", after["role"])))
    if after.get("round") and event.action.startswith(("signoff.", "gate.", "monitoring_")):
        parts.append(escape(_("round %(n)s", n=after["round"])))
    if after.get("comment"):
        user_text(f"«\u00a0{after['comment']}\u00a0»")  # French spacing: never wraps
    return SEPARATOR.join(parts) if parts else Markup("")


# The object of an event (its object_type, the model's table name) -> the kind of object its
# name is read as (_REFERENTS below). A type missing here has nothing a reader knows it by
# but its number.
OBJECT_KINDS: dict[str, str] = {
    "project": "project", "user_account": "user", "commune": "commune",
    "association": "association", "theme": "theme", "budget_line": "budget_line",
    "activity": "activity", "indicator": "indicator", "workflow_signoff": "signoff",
    "registered_document": "document", "attachment": "attachment",
    "delegation": "delegation", "expense": "expense", "tranche": "tranche",
    "activity_progress": "activity_progress", "indicator_value": "indicator_value",
    "amendment": "amendment", "auditor_grant": "auditor_grant",
    "project_replication": "replication", "monitoring_report": "monitoring_report",
    "final_report": "final_report", "evaluation": "evaluation",
    "evaluation_entry": "evaluation_entry", "project_message": "message",
    "public_photo": "photo", "job": "job",
}
# Kinds a reader knows by a number of their own (an amendment is "No. 2" of its project).
NUMBERED_KINDS = frozenset({"amendment"})


def object_words(event: AuditEvent, reference: str | None = None,
                 names: Names | None = None) -> str:
    """The event's object as a reader knows it, in the reader's language: 'Project
    TDF-2026-…', 'Budget line: Chairs', 'Amendment No. 2'. `names`: referenced_names(events,
    objects=True) of the page, so that a page reads one query per kind; without it, this
    event's object is looked up. 'Budget line No. 12' only once the object no longer exists
    (the event keeps the id, there is no name left to show)."""
    if not event.object_type:
        return ""
    kind = label("object", event.object_type)
    if event.object_type == "project" and reference:
        return f"{kind} {reference}"
    if not event.object_id:
        return kind
    if event.object_type == "audit_checkpoint":  # its id is the event the head was taken at
        return f"{kind}: {_('Event %(n)s', n=event.object_id)}"
    referent = OBJECT_KINDS.get(event.object_type)
    if referent and names is None:
        names = referenced_names([event], values=False, objects=True)
    ids = _ids(event.object_id)
    name = (names or {}).get(referent or "", {}).get(ids[0]) if ids else None
    if not name:
        return _("%(kind)s No. %(id)s", kind=kind, id=event.object_id)
    if referent in NUMBERED_KINDS:
        return _("%(kind)s No. %(id)s", kind=kind, id=name)
    return _("%(kind)s: %(name)s", kind=kind, name=name)


# ------------------------------------------------------- ids stored in before/after values

# An event stores the ids of the objects it points at (the budget line of an expense, the
# commune of a project...): the stored JSON never changes, so the reader sees them named when
# read, in the reader's language. Field key -> kind of object.
ID_FIELDS: dict[str, str] = {
    "budget_line_id": "budget_line", "activity_id": "activity", "indicator_id": "indicator",
    "commune_id": "commune", "lead_association_id": "association",
    "association_id": "association", "partner_ids": "association", "theme_ids": "theme",
    "institution_id": "institution", "province_id": "province", "delegator_id": "user",
    "delegate_id": "user", "on_behalf_of_id": "user", "attachment_id": "attachment",
    "document_id": "document", "supersedes_id": "document", "project_id": "project",
    "source_project_id": "project", "project_ids": "project", "signoff_id": "signoff",
    "delegation_id": "delegation",
}
# Keys that hold ids only when their value is a list: the "communes" of an auditor's access
# (in the reference data's seeding event, "communes" is a count).
LIST_ID_FIELDS: dict[str, str] = {"communes": "commune"}
Names = dict[str, dict[int, str]]  # kind -> {id: words}


def _kind(key: str, value: Any) -> str | None:
    """The kind of object whose ids `value` holds under `key`, if it holds ids."""
    if key in ID_FIELDS:
        return ID_FIELDS[key]
    return LIST_ID_FIELDS.get(key) if isinstance(value, list) else None


def document_words(row: Any) -> str:
    """A registered document as a reader knows it: its kind's label and its version."""
    return _("%(document)s, version %(version)s", document=label("document", row.kind),
             version=row.version)


def _tranche_words(row: Row) -> str:
    return f"{label('funder', row.funder)} · {format_day(row.planned_on)}"


def _period_words(row: Row) -> str:
    return f"{format_day(row.period_start)} – {format_day(row.period_end)}"


def _message_words(row: Row) -> str:
    """A message by its author and day (its text is the author's, in their language)."""
    return f"{row.full_name} · {format_day(row.created_at)}"


def _signoff_words(row: Row) -> str:
    return " · ".join((label("gate", row.gate), label("party", row.party),
                       _("round %(n)s", n=row.round)))


# kind -> (the columns read, the id first; the words for one row). Columns, not entities: the
# models' joined relationships (a sign-off's user, a delegation's users) are not loaded.
_REFERENTS: dict[str, tuple[Callable[[], tuple], Callable[[Row], str]]] = {
    "budget_line": (lambda: (BudgetLine.id, BudgetLine.description),
                    lambda row: row.description),
    "activity": (lambda: (Activity.id, Activity.title), lambda row: row.title),
    "indicator": (lambda: (Indicator.id, Indicator.name), lambda row: row.name),
    "association": (lambda: (Association.id, Association.name_ar, Association.name_fr),
                    localized),
    "commune": (lambda: (Commune.id, Commune.name_ar, Commune.name_fr, Commune.name_en),
                localized),
    "theme": (lambda: (Theme.id, Theme.name_ar, Theme.name_fr, Theme.name_en), localized),
    "institution": (lambda: (Institution.id, Institution.name_ar, Institution.name_fr,
                             Institution.name_en), localized),
    "province": (lambda: (Province.id, Province.name_ar, Province.name_fr, Province.name_en),
                 localized),
    "user": (lambda: (User.id, User.full_name), lambda row: row.full_name),
    "attachment": (lambda: (Attachment.id, Attachment.display_name),
                   lambda row: row.display_name),
    "document": (lambda: (RegisteredDocument.id, RegisteredDocument.kind,
                          RegisteredDocument.version), document_words),
    "project": (lambda: (Project.id, Project.reference), lambda row: row.reference),
    "signoff": (lambda: (SignOff.id, SignOff.gate, SignOff.party, SignOff.round),
                _signoff_words),
    "expense": (lambda: (Expense.id, Expense.description), lambda row: row.description),
    "tranche": (lambda: (Tranche.id, Tranche.funder, Tranche.planned_on), _tranche_words),
    "activity_progress": (lambda: (ActivityProgress.id, Activity.title),
                          lambda row: row.title),
    "indicator_value": (lambda: (IndicatorValue.id, Indicator.name), lambda row: row.name),
    "amendment": (lambda: (Amendment.id, Amendment.number), lambda row: str(row.number)),
    "auditor_grant": (lambda: (AuditorGrant.id, User.full_name), lambda row: row.full_name),
    "replication": (lambda: (Replication.id, Project.reference), lambda row: row.reference),
    "monitoring_report": (lambda: (MonitoringReport.id, MonitoringReport.period_start,
                                   MonitoringReport.period_end), _period_words),
    "final_report": (lambda: (FinalReport.id, Project.reference), lambda row: row.reference),
    "evaluation": (lambda: (Evaluation.id, Project.reference), lambda row: row.reference),
    "evaluation_entry": (lambda: (EvaluationEntry.id, EvaluationEntry.party),
                         lambda row: label("party", row.party)),
    "message": (lambda: (Message.id, User.full_name, Message.created_at),
                _message_words),
    "photo": (lambda: (PublicPhoto.id, PublicPhoto.caption, Attachment.display_name),
              lambda row: row.caption or row.display_name),
    "job": (lambda: (Job.id, Job.kind), lambda row: job_kind_label(row.kind)),
}
# The kinds whose words are in another table: the join that reaches them (one query still).
_JOINS: dict[str, Callable[[Select], Select]] = {
    "activity_progress": lambda q: q.join(Activity,
                                          Activity.id == ActivityProgress.activity_id),
    "indicator_value": lambda q: q.join(Indicator, Indicator.id == IndicatorValue.indicator_id),
    "auditor_grant": lambda q: q.join(User, User.id == AuditorGrant.user_id),
    "replication": lambda q: q.join(Project, Project.id == Replication.project_id),
    "final_report": lambda q: q.join(Project, Project.id == FinalReport.project_id),
    "evaluation": lambda q: q.join(Project, Project.id == Evaluation.project_id),
    "message": lambda q: q.join(User, User.id == Message.author_id),
    "photo": lambda q: q.join(Attachment, Attachment.id == PublicPhoto.attachment_id),
}


def _ids(value: Any) -> list[int]:
    """The ids a stored value holds: one (an int, or digits as text) or a list of them."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            found.append(item)
        elif isinstance(item, str) and item.isdigit():
            found.append(int(item))
    return found


def referenced_names(events: Iterable[AuditEvent], *, values: bool = True,
                     objects: bool = False) -> Names:
    """The words for every id the events point at: in their values (`values`) and, with
    `objects`, their objects (object_words). One query per kind of object, however many
    events a page shows."""
    events = list(events)
    pairs: list[tuple[str, Any]] = []
    if values:
        pairs = [(key, value) for event in events
                 for side in (loads(event.before), loads(event.after))
                 for key, value in side.items()]
    wanted = _wanted(pairs)
    if objects:
        for event in events:
            kind = OBJECT_KINDS.get(event.object_type or "")
            if kind:
                wanted.setdefault(kind, set()).update(_ids(event.object_id))
    return _names(wanted)


def names_of(pairs: Iterable[tuple[str, Any]]) -> Names:
    """The words for the ids that (field key, value) pairs hold, one query per kind: for
    values read outside an event (the edit form's conflict box lists other people's)."""
    return _names(_wanted(pairs))


def _wanted(pairs: Iterable[tuple[str, Any]]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for key, value in pairs:
        kind = _kind(key, value)
        if kind:
            wanted.setdefault(kind, set()).update(_ids(value))
    return wanted


def _names(wanted: dict[str, set[int]]) -> Names:
    """kind -> {id: words} for the wanted ids (a delegation's two people join the users'
    query)."""
    names: Names = {}
    delegations = wanted.pop("delegation", set())
    people: dict[int, tuple[int, int]] = {}
    if delegations:
        people = {row.id: (row.delegator_id, row.delegate_id) for row in db.session.execute(
            select(Delegation.id, Delegation.delegator_id, Delegation.delegate_id)
            .where(Delegation.id.in_(delegations)))}
        wanted.setdefault("user", set()).update(i for pair in people.values() for i in pair)
    for kind, ids in wanted.items():
        if not ids:
            continue
        columns, words = _REFERENTS[kind]
        read = columns()
        statement = select(*read)
        if kind in _JOINS:
            statement = _JOINS[kind](statement)
        rows = db.session.execute(statement.where(read[0].in_(ids)))
        names[kind] = {row.id: words(row) for row in rows}
    if people:
        users = names.get("user", {})
        names["delegation"] = {
            key: _("from %(delegator)s to %(delegate)s",
                   delegator=users.get(delegator) or f"#{delegator}",
                   delegate=users.get(delegate) or f"#{delegate}")
            for key, (delegator, delegate) in people.items()}
    return names


def value_words(key: str, value: Any, names: Names) -> str:
    """A stored value in words; an id by the name of its object ('#12' once the object no
    longer exists: the event keeps the id, there is no name left to show)."""
    kind = _kind(key, value)
    ids = _ids(value) if kind else []
    if not ids:
        return format_value(key, value)
    known = names.get(kind, {})
    return list_words(known.get(i) or f"#{i}" for i in ids)


def changed_values(event: AuditEvent, everything: bool = False, names: Names | None = None
                   ) -> list[tuple[str, str, str]]:
    """(field label, before, after) in words for every key of either side (only those that
    the event set, unless `everything`); '—' stands for a side that does not have the key.
    `names`: a page's referenced_names(events), so that its events do not query one by one;
    without it, this event's own ids are looked up."""
    before, after = loads(event.before), loads(event.after)
    keys = sorted(set(before) | set(after)) if everything else sorted(
        k for k in after if k not in before or before[k] != after[k])
    if names is None:
        names = referenced_names([event])

    return [(field_label(k), value_words(k, before.get(k), names) if k in before else "—",
             value_words(k, after.get(k), names) if k in after else "—") for k in keys]


def fields_list(values_json: str | None) -> list[tuple[str, str]]:
    return labelled_fields(loads(values_json))
