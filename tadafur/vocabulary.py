"""One vocabulary: the words shown for the codes the platform stores.

Audit events, the history tab, notifications, CSV exports and the PDF documents store codes
(`project.submit`, `in_execution`, `programme_officer`, `amount`) and put them into words when
they are read, in the reader's language. Every such word lives here, once, so a page, an export
and a document never name the same thing differently (docs/GLOSSARY.md lists the terms).

This module sits at the foundation: it imports only gettext and the formatting helpers of
tadafur.i18n, so any layer (documents included) may use it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from tadafur.i18n import (
    LANGUAGE_NAMES,
    current_language,
    format_amount,
    format_day,
    format_moment,
    format_number,
)
from tadafur.vocabulary_actions import ACTIONS, FIELDS

ROLES = {
    "commune_agent": _l("Commune agent"),
    "commune_signatory": _l("Commune signatory"),
    "association_member": _l("Association member"),
    "association_signatory": _l("Association signatory"),
    "programme_officer": _l("Programme officer"),
    "ministry_reviewer": _l("Ministry reviewer"),
    "admin": _l("Administrator"),
    "auditor": _l("Outside auditor"),
    "system": _l("The platform"),
}

# States and steps of workflows/co_creation.yaml (tests/core/test_vocabulary.py checks that
# every state, transition and gate of every definition has its word here).
STATES = {
    "draft": _l("Draft"), "submitted": _l("Eligibility review"),
    "selection": _l("Committee selection"), "council_deliberation": _l("Council deliberation"),
    "governor_visa": _l("Governor's visa"), "decision": _l("Approval path"),
    "convention_signature": _l("Convention signature"), "rejected": _l("Rejected"),
    "in_execution": _l("In execution"), "suspended": _l("Suspended"),
    "terminated": _l("Terminated"), "final_report": _l("Final report"),
    "report_validation": _l("Validation of the final report"),
    "evaluation": _l("Joint evaluation"), "evaluation_signoff": _l("Signature of the evaluation"),
    "closed": _l("Closed"),
}
TRANSITIONS = {
    "start": _l("Project created"), "submit": _l("Submit the proposal"),
    "declare_eligible": _l("Declare eligible"), "request_changes": _l("Request changes"),
    "reject": _l("Reject"), "record_selection": _l("Record the committee's selection"),
    "not_selected": _l("Record that the committee did not select it"),
    "record_deliberation": _l("Record the council's deliberation"),
    "record_visa": _l("Record the governor's visa"),
    "prepare_convention": _l("Produce the convention for signature"),
    "approve_by_decision": _l("Approve by simple decision"),
    "sign_convention": _l("Convention signed by all parties"),
    "complete": _l("Declare the execution complete"), "suspend": _l("Suspend"),
    "resume": _l("Resume"), "terminate": _l("Terminate the project"),
    "submit_final_report": _l("Submit the final report"),
    "return_report": _l("Return the report for corrections"),
    "validate_report": _l("Final report validated"),
    "submit_evaluation": _l("Submit the joint evaluation for signature"),
    "close": _l("Evaluation signed by all parties"),
}
# What a step did, for the audit trail and the history (TRANSITIONS name the buttons).
STEPS_DONE = {
    "start": _l("Project created"), "submit": _l("Proposal submitted"),
    "declare_eligible": _l("Declared eligible"), "request_changes": _l("Changes requested"),
    "reject": _l("Proposal rejected"), "record_selection": _l("Committee selection recorded"),
    "not_selected": _l("Not selected by the committee"),
    "record_deliberation": _l("Council deliberation recorded"),
    "record_visa": _l("Governor's visa recorded"),
    "prepare_convention": _l("Convention produced for signature"),
    "approve_by_decision": _l("Approved by simple decision"),
    "sign_convention": _l("Convention signed by all parties"),
    "complete": _l("Execution declared complete"), "suspend": _l("Project suspended"),
    "resume": _l("Project resumed"), "terminate": _l("Project terminated"),
    "submit_final_report": _l("Final report submitted"),
    "return_report": _l("Report returned for corrections"),
    "validate_report": _l("Final report validated"),
    "submit_evaluation": _l("Joint evaluation submitted for signature"),
    "close": _l("Evaluation signed by all parties"),
}
GATES = {
    "endorsement": _l("Endorsement of the proposal"),
    "convention": _l("Signature of the convention"),
    "report_validation": _l("Validation of the final report"),
    "joint_evaluation": _l("Signature of the joint evaluation"),
    "amendment": _l("Amendment to the convention"),
}
WORKFLOWS = {"co_creation": _l("Co-creation project")}
# The kinds of change an amendment makes: the words of the workflow file's `changes` labels.
AMENDMENT_CHANGES = {"budget": _l("Budget reallocation"),
                     "end_date": _l("Extension of the end date"),
                     "activities": _l("Change of activities"),
                     "indicators": _l("Change of indicators"),
                     "signatory": _l("Change of a signatory")}
PARTIES = {"commune": _l("Commune"), "association": _l("Association"),
           "programme": _l("Programme")}
DECISIONS = {"approve": _l("Approved"), "reject": _l("Refused"), "refuse": _l("Refused")}
FUNDERS = {"commune": _l("Commune"), "association": _l("Association"),
           "programme": _l("Programme grant"), "other": _l("Other")}
DOCUMENT_KINDS = {
    "convention": _l("Partnership convention"),
    "convention_signed": _l("Signed-off partnership convention"),
    "signoff_record": _l("Sign-off record"), "amendment": _l("Amendment to the convention"),
    "monitoring_report": _l("Monitoring report"), "final_report": _l("Final report"),
    "evaluation_report": _l("Evaluation report"), "audit_extract": _l("Audit extract"),
    "evidence_manifest": _l("Evidence package manifest"), "project_sheet": _l("Project sheet"),
}
STATUSES = {  # reports, amendments, activities
    "draft": _l("Draft"), "submitted": _l("Submitted"), "returned": _l("Returned"),
    "approved": _l("Approved"), "validated": _l("Validated"),
    "open": _l("Awaiting sign-offs"),
    "rejected": _l("Refused"), "planned": _l("Planned"), "in_progress": _l("In progress"),
    "done": _l("Done"), "cancelled": _l("Cancelled"),
}
OBJECT_TYPES = {
    "project": _l("Project"), "user_account": _l("User account"),
    "reference": _l("Reference data"), "commune": _l("Commune"),
    "association": _l("Association"), "theme": _l("Theme"),
    "project_message": _l("Message"), "budget_line": _l("Budget line"),
    "activity": _l("Activity"), "indicator": _l("Indicator"),
    "workflow_signoff": _l("Sign-off"), "registered_document": _l("Document"),
    "tranche": _l("Tranche"), "expense": _l("Expense"),
    "activity_progress": _l("Progress of an activity"),
    "indicator_value": _l("Value of an indicator"), "attachment": _l("Evidence file"),
    "monitoring_report": _l("Monitoring report"), "final_report": _l("Final report"),
    "evaluation_entry": _l("Evaluation score"), "evaluation": _l("Evaluation"),
    "amendment": _l("Amendment"), "delegation": _l("Delegation"),
    "project_replication": _l("Project started from another project"),
    "public_photo": _l("Published photo"),
    "auditor_grant": _l("Auditor access"), "audit_checkpoint": _l("Exported chain head"),
    "job": _l("Background task"),
}

KINDS = {"role": ROLES, "state": STATES, "transition": TRANSITIONS, "gate": GATES,
         "party": PARTIES, "decision": DECISIONS, "funder": FUNDERS,
         "document": DOCUMENT_KINDS, "status": STATUSES, "object": OBJECT_TYPES,
         "action": ACTIONS, "field": FIELDS, "workflow": WORKFLOWS,
         "amendment_change": AMENDMENT_CHANGES}

AMOUNT_FIELDS = frozenset({"amount", "total", "budgeted", "disbursed", "spent", "remaining"})
FIELD_KINDS = {"state": "state", "gate": "gate", "party": "party", "decision": "decision",
               "funder": "funder", "kind": "document", "status": "status", "role": "role",
               "workflow": "workflow", "parties": "party", "kinds": "amendment_change"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_HASH = re.compile(r"^[0-9a-f]{40,}$")


def label(kind: str, code: str | None) -> str:
    """The word for `code` of `kind` in the current language; the code itself when unknown
    (tests/core/test_vocabulary.py keeps the tables complete, so that never shows)."""
    if code is None or code == "":
        return ""
    table = KINDS[kind]
    if code in table:
        return str(table[code])
    if kind == "action":
        return action_label(code)
    return code


def action_label(code: str) -> str:
    """`project.<trigger>` actions are named by the workflow step; the rest by ACTIONS."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    prefix, _dot, rest = code.partition(".")
    if prefix == "project" and rest in STEPS_DONE:
        return str(STEPS_DONE[rest])
    return code


def roles_label(codes: str | None) -> str:
    """A stored comma-separated role list (`commune_agent,commune_signatory`) in words."""
    if not codes:
        return ""
    return list_words(label("role", code) for code in codes.split(","))


def list_words(items) -> str:
    """Join words with the comma of the reader's language (Arabic: '،')."""
    separator = "، " if current_language() == "ar" else ", "
    return separator.join(str(item) for item in items if item not in (None, ""))


def field_label(name: str) -> str:
    return str(FIELDS[name]) if name in FIELDS else name.replace("_", " ")


def subject_label(subject: str) -> str:
    """What a sign-off covers: the proposal's content, the step, or a frozen document."""
    if subject.startswith("document:"):
        return label("document", subject.partition(":")[2])
    return {"content": _("The content of the proposal"),
            "transition": _("The step itself")}.get(subject, subject)


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


# A document's language in a sentence of the reader's language ("version 2 (en arabe)"): the
# language picker's own names (LANGUAGE_NAMES, each in its own script) would print "العربية"
# in a French extract and "Français" in an Arabic one.
DOCUMENT_LANGUAGES = {"ar": _l("in Arabic"), "fr": _l("in French"), "en": _l("in English"),
                      "bilingual": _l("in Arabic and French")}


def language_words(code: str) -> str:
    """A document's language, in words of the reader's language."""
    words = DOCUMENT_LANGUAGES.get(code)
    return str(words) if words is not None else LANGUAGE_NAMES.get(code, code)


def format_value(name: str, value: Any) -> str:
    """One stored value in words: dates by the calendar, amounts in dirhams, codes by name,
    booleans as yes or no, lists joined, never JSON."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if name == "language" and isinstance(value, str):
        return language_words(value)
    if name == "subject" and isinstance(value, str):
        return subject_label(value)
    if name in FIELD_KINDS and isinstance(value, str):
        return label(FIELD_KINDS[name], value)
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        try:
            return format_moment(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return format_day(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if name in AMOUNT_FIELDS:
        try:
            return format_amount(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value):
        return format_number(Decimal(value))
    if isinstance(value, str) and _HASH.match(value):
        return value[:12] + "…"
    if isinstance(value, list):
        if value and all(isinstance(item, Mapping) for item in value):
            return ngettext_count(len(value))
        if len(value) == 2 and isinstance(value[0], int | float) and isinstance(value[1], str):
            return f"{format_number(value[0])} · {value[1]}"  # a score and its justification
        return list_words(format_value(name, item) for item in value)
    if name == "changes" and isinstance(value, Mapping):
        return list_words(_changed(key, change) for key, change in value.items())
    if isinstance(value, Mapping):
        return list_words(f"{field_label(k)}: {format_value(k, v)}" for k, v in value.items())
    return str(value)


def _changed(name: str, change: Any) -> str:
    """One entry of an amendment's changes: a [before, after] pair, or the rows of a list
    (budget lines, activities...) of which only the changed ones are told."""
    if isinstance(change, list) and change and all(isinstance(r, Mapping) for r in change):
        rows = [r for r in change if r.get("changed") or r.get("removed") or not r.get("id")]
        return f"{field_label(name)}: " + (list_words(_changed_row(r) for r in rows)
                                           if rows else ngettext_count(0))
    if isinstance(change, list) and len(change) == 2:
        return f"{field_label(name)}: " + from_to(name, *change)
    return f"{field_label(name)}: {format_value(name, change)}"


def _changed_row(row: Mapping) -> str:
    title = row.get("description") or row.get("title") or row.get("name") or ""
    pairs = [(key, value) for key, value in row.items()
             if isinstance(value, list) and len(value) == 2 and value[0] != value[1]]
    told = list_words(f"{field_label(k)} " + from_to(k, *v) for k, v in pairs)
    if row.get("removed"):
        told = _("removed")
    elif not row.get("id"):
        told = _("added")
    return f"{title} ({told})" if title else told


def from_to(name: str, before: Any, after: Any) -> str:
    return _("from %(before)s to %(after)s", before=format_value(name, before),
             after=format_value(name, after))


def file_size(size: int) -> str:
    """'10 MB' / '1,5 Mo' / '500 ك.ب': units and decimal comma of the reader's language."""
    if size >= 1024 * 1024:
        megabytes = Decimal(size) / 1024 / 1024
        shown = format_number(megabytes.quantize(Decimal("1") if megabytes == int(megabytes)
                                                 else Decimal("0.1")))
        return _("%(n)s MB", n=shown)
    return _("%(n)s KB", n=format_number(max(1, round(size / 1024))))


def ngettext_count(count: int) -> str:
    return ngettext("%(num)d item", "%(num)d items", count)


def labelled_fields(values: Mapping | None) -> list[tuple[str, str]]:
    """(label, formatted value) for each stored key, in a stable order."""
    if not values:
        return []
    return [(field_label(key), format_value(key, values[key])) for key in sorted(values)]


def loads(text: str | None) -> dict:
    """A stored canonical JSON object (before/after), as a dict (a scalar under 'value')."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {"value": text}
    return data if isinstance(data, dict) else {"value": data}


# ---------------------------------------------------------------- phrases stored as codes

@dataclass(frozen=True)
class Phrase:
    """A sentence kept as its English source (the catalog's msgid) and its parameters, put
    into words when read. A parameter is plain (a reference, a number, a name typed by a
    user), a term `{"term": [kind, code]}` or a text `{"text": msgid}` (a workflow label).
    `note` is what a user typed (a comment): it stays as typed.
    """

    text: str
    params: dict = field(default_factory=dict)
    note: str | None = None

    def render(self) -> str:
        values = {key: _param(value) for key, value in self.params.items()}
        sentence = _(self.text, **values) if values else _(self.text)
        return f"{sentence} {FSI}{self.note}{PDI}" if self.note else sentence

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "params": self.params, "note": self.note},
                          ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, stored: str) -> Phrase:
        data = json.loads(stored)
        return cls(data["text"], data.get("params") or {}, data.get("note"))


def phrase(text: str, note: str | None = None, **params: Any) -> Phrase:
    """Mark `text` for translation (pybabel keyword `phrase`) and keep it for later."""
    return Phrase(text, params, note)


def term(kind: str, code: str) -> dict:
    return {"term": [kind, code]}


def text(msgid: str) -> dict:
    return {"text": msgid}


def terms(kind: str, codes) -> dict:
    return {"terms": [kind, list(codes)]}


FSI, PDI = "\u2068", "\u2069"  # first-strong isolate: a reference or a name keeps its order


def _param(value: Any) -> Any:
    if isinstance(value, str):
        return f"{FSI}{value}{PDI}"
    if isinstance(value, Mapping):
        if "term" in value:
            return label(*value["term"])
        if "terms" in value:
            kind, codes = value["terms"]
            return list_words(label(kind, code) for code in codes)
        if "text" in value:
            return _(value["text"]) if value["text"] else ""
        if "day" in value:
            return format_day(dt.date.fromisoformat(value["day"]))
        if "period" in value:  # first and last day, each in the reader's words
            first, last = (format_day(dt.date.fromisoformat(d)) for d in value["period"])
            return f"{FSI}{first} – {last}{PDI}"
    return value


def day(value: dt.date) -> dict:
    return {"day": value.isoformat()}


def period(first: dt.date, last: dt.date) -> dict:
    return {"period": [first.isoformat(), last.isoformat()]}
