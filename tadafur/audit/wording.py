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
from sqlalchemy import Row, select

from tadafur.accounts.models import User
from tadafur.audit.models import AuditEvent
from tadafur.delegations.models import Delegation
from tadafur.documents.models import RegisteredDocument
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_NAMES, localized, ltr, money
from tadafur.organisations.models import Association, Commune, Institution, Province
from tadafur.projects.models import Activity, BudgetLine, Indicator, Project, Theme
from tadafur.vocabulary import (
    STATES,
    field_label,
    format_value,
    label,
    labelled_fields,
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


def details(event: AuditEvent, reference: str | None = None) -> Markup:
    """What the event did, in words: the project, the step (from → to), the party and its
    decision, the document, the amount, what a user typed. Never codes, never JSON."""
    before, after = loads(event.before), loads(event.after)
    parts: list[Markup] = []
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
            language = after["language"]
            words = (_("Arabic and French") if language == "bilingual"
                     else LANGUAGE_NAMES.get(language, language))
            document = f"{document} ({words})"
        parts.append(escape(document))
    if after.get("amount") is not None:
        amount = money(after["amount"])
        if after.get("funder"):
            amount = amount + Markup(" · ") + escape(label("funder", after["funder"]))
        parts.append(amount)
    for key in USER_TEXT_KEYS:
        if after.get(key) and isinstance(after[key], str):
            parts.append(_user_text(after[key]))
            break
    if event.action.startswith("user.") and after.get("role"):
        parts.append(escape(label("role", after["role"])))
    if after.get("round") and event.action.startswith(("signoff.", "gate.", "monitoring_")):
        parts.append(escape(_("round %(n)s", n=after["round"])))
    if after.get("comment"):
        parts.append(_user_text(f"« {after['comment']} »"))
    return SEPARATOR.join(parts) if parts else Markup("")


def object_words(event: AuditEvent, reference: str | None = None) -> str:
    """'Project TDF-2026-…' or 'Budget line No. 12', in the reader's language."""
    if not event.object_type:
        return ""
    kind = label("object", event.object_type)
    if event.object_type == "project" and reference:
        return f"{kind} {reference}"
    if event.object_id:
        return _("%(kind)s No. %(id)s", kind=kind, id=event.object_id)
    return kind


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


def _document_words(row: Row) -> str:
    return _("%(document)s, version %(version)s", document=label("document", row.kind),
             version=row.version)


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
                          RegisteredDocument.version), _document_words),
    "project": (lambda: (Project.id, Project.reference), lambda row: row.reference),
    "signoff": (lambda: (SignOff.id, SignOff.gate, SignOff.party, SignOff.round),
                _signoff_words),
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


def referenced_names(events: Iterable[AuditEvent]) -> Names:
    """The words for every id the events' values point at: one query per kind of object
    (a delegation's two people join the users' query), however many events a page shows."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        for side in (loads(event.before), loads(event.after)):
            for key, value in side.items():
                kind = _kind(key, value)
                if kind:
                    wanted.setdefault(kind, set()).update(_ids(value))
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
        rows = db.session.execute(select(*read).where(read[0].in_(ids)))
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
