"""Audit events put into words when read, in the reader's language.

A stored event never changes (its hash covers every column), and older events hold summaries
written in whichever language their author spoke. So pages and exports never show the stored
summary: they say what happened from the event's codes (action, object, before/after values)
through tadafur.vocabulary. The stored summary stays in the CSV export, as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_NAMES, ltr, money
from tadafur.projects.models import Project
from tadafur.vocabulary import (
    STATES,
    field_label,
    format_value,
    label,
    labelled_fields,
    loads,
)

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


def changed_values(event: AuditEvent, everything: bool = False
                   ) -> list[tuple[str, str, str]]:
    """(field label, before, after) in words for every key of either side (only those that
    the event set, unless `everything`); '—' stands for a side that does not have the key."""
    before, after = loads(event.before), loads(event.after)
    keys = sorted(set(before) | set(after)) if everything else sorted(
        k for k in after if k not in before or before[k] != after[k])

    return [(field_label(k), format_value(k, before.get(k)) if k in before else "—",
             format_value(k, after.get(k)) if k in after else "—") for k in keys]


def fields_list(values_json: str | None) -> list[tuple[str, str]]:
    return labelled_fields(loads(values_json))
