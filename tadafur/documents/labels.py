"""Words for the codes a printed document would otherwise show (roles, gates, budget
categories, funders, audit actions, filter keys), and the few formatting helpers legal
documents need (typed text isolated, durations through the catalog's plural forms, amounts
in words, French elision).

Documents store codes and put them into words when printed, in the document's language (call
these inside `force_locale(language)`). Kept in one small module so that the interface's
shared vocabulary (issue 16) can absorb it without touching the templates.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import dates as babel_dates
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from markupsafe import Markup
from num2words import num2words

from tadafur.i18n import format_day, ltr
from tadafur.projects.labels import BUDGET_CATEGORIES

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate: typed text keeps its own direction

ROLE_LABELS = {
    "commune_agent": _l("Commune agent"),
    "commune_signatory": _l("President of the communal council"),
    "association_member": _l("Association member"),
    "association_signatory": _l("President of the association"),
    "programme_officer": _l("Programme officer"),
    "ministry_reviewer": _l("Ministry reviewer"),
    "admin": _l("Administrator"),
}
# A woman's title, where the language marks it (French "la Présidente", Arabic "رئيسة").
ROLE_LABELS_FEMININE = {
    "commune_signatory": _l("President (woman) of the communal council"),
    "association_signatory": _l("President (woman) of the association"),
}
GATE_LABELS = {
    "endorsement": _l("Endorsement of the proposal"),
    "convention": _l("Signature of the convention"),
    "report_validation": _l("Validation of the final report"),
    "joint_evaluation": _l("Signature of the joint evaluation"),
    "amendment": _l("Amendment"),
}
ACTION_LABELS = {
    "activity.added": _l("Activity added"),
    "activity.progress_reported": _l("Progress of an activity reported"),
    "activity.status_changed": _l("Status of an activity changed"),
    "amendment.proposed": _l("Amendment proposed"),
    "attachment.uploaded": _l("Evidence file attached"),
    "attachment.downloaded": _l("Evidence file downloaded"),
    "budget_line.added": _l("Budget line added"),
    "delegation.granted": _l("Delegation granted"),
    "delegation.revoked": _l("Delegation revoked"),
    "delegation.expired": _l("Delegation expired"),
    "delegation.used": _l("Delegation used"),
    "document.registered": _l("Document registered"),
    "document.sealed": _l("Document sealed"),
    "evaluation.participation": _l("Participation results recorded"),
    "evaluation.scored": _l("Evaluation scored"),
    "evidence.package_built": _l("Evidence package built"),
    "expense.recorded": _l("Expense recorded"),
    "final_report.saved": _l("Final report saved"),
    "gate.completed": _l("Sign-off step completed"),
    "indicator.added": _l("Indicator added"),
    "indicator.value_recorded": _l("Indicator value recorded"),
    "message.posted": _l("Message posted"),
    "monitoring_report.approved": _l("Monitoring report approved"),
    "monitoring_report.created": _l("Monitoring report created"),
    "monitoring_report.returned": _l("Monitoring report returned"),
    "monitoring_report.submitted": _l("Monitoring report submitted"),
    "monitoring_report.updated": _l("Monitoring report updated"),
    "monitoring_report.validated": _l("Monitoring report validated"),
    "project.amended": _l("Project amended"),
    "project.created": _l("Project created"),
    "project.publication_changed": _l("Publication changed"),
    "project.updated": _l("Project updated"),
    "project.workflow_started": _l("Workflow started"),
    "signoff.given": _l("Sign-off given"),
    "signoff.invalidated": _l("Sign-off invalidated"),
    "tranche.recorded": _l("Tranche recorded"),
    "user.created": _l("Account created"),
}


def role_label(code: str | None, feminine: bool = False) -> str:
    """A role in words; several roles (stored "a,b") joined."""
    if not code:
        return ""
    labels = []
    for part in code.split(","):
        table = ROLE_LABELS_FEMININE if feminine and part in ROLE_LABELS_FEMININE else ROLE_LABELS
        labels.append(str(table.get(part, _("Other role"))))
    return ", ".join(labels)


def user_roles_label(user: Any) -> str:
    roles = sorted(getattr(user, "roles", ()) or ())
    return role_label(",".join(roles), feminine=is_feminine(user))


def is_feminine(user: Any) -> bool:
    return getattr(user, "civility", None) == "f"


def gate_label(code: str | None) -> str:
    return str(GATE_LABELS.get(code or "", _("Sign-off step")))


def action_label(code: str | None) -> str:
    """An audit action in words: a known code, else its domain's generic word."""
    if not code:
        return ""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    domain = code.split(".")[0]
    return str({"signoff": _("Sign-off"), "document": _("Document"), "project": _("Project"),
                "workflow": _("Workflow step"), "amendment": _("Amendment"),
                "delegation": _("Delegation"), "report": _("Report"),
                "execution": _("Execution"), "user": _("Account"),
                "audit": _("Audit trail")}.get(domain, _("Other event")))


def category_label(code: str | None) -> str:
    """A budget category in words; text typed as a category stays as typed."""

    if code in BUDGET_CATEGORIES:
        return str(BUDGET_CATEGORIES[code])
    return code or ""


def typed(value: Any) -> Markup:
    """Text a person typed, in a first-strong isolate: a French sentence inside Arabic keeps
    its full stop at its right end (WeasyPrint ignores unicode-bidi, not the isolates)."""
    if value is None or value == "":
        return Markup("")
    return Markup("{}{}{}").format(FSI, str(value), PDI)


def direction_of(text: str) -> str:
    """The direction of the first strong character: what a reader expects the text to run."""

    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def typed_block(value: Any) -> Markup:
    """A paragraph or cell a person typed, as a block with its own direction: inline isolates
    do not survive a line break in WeasyPrint (a wrapped French comment in an Arabic table
    printed ".programme"), a block's direction does."""
    if value is None or value == "":
        return Markup("")
    text = str(value)
    direction = direction_of(text)
    if direction == "auto":
        return Markup('<div class="typed">{}</div>').format(text)
    return Markup('<div class="typed" dir="{}">{}</div>').format(direction, text)


def months_label(months: int) -> str:
    """'9 months' with the catalog's plural forms (Arabic has six: 9 أشهر, 11 شهرا...)."""
    return ngettext("%(num)d month", "%(num)d months", months)


def de(name: str) -> str:
    """French "de" before a name: "d'Afourar", "de Tiznit" (elision before a vowel or mute h)."""
    first = (name or "").strip()[:1].lower()
    return f"d'{name}" if first and first in "aeiouyhàâäéèêëîïôöûüœ" else f"de {name}"


def association_article(name: str) -> str:
    """French "l'Association ..." for a name that starts with the word Association."""
    if name.lower().startswith("association"):
        return f"l'{name}"
    return name


# ---------------------------------------------------------------- amounts in words

CENT = Decimal("0.01")


def _arabic_counted(n: int, forms: tuple[str, str, str, str]) -> str:
    """The counted noun after an Arabic number: (singular, dual, plural 3-10, accusative 11-99).
    1 and 2 carry the number themselves ("درهم واحد", "درهمان")."""
    singular, dual, plural, accusative = forms
    rest = n % 100
    if rest == 1 and n == 1:
        return f"{singular} واحد"
    if rest == 2 and n == 2:
        return dual
    if 3 <= rest <= 10:
        return plural
    if 11 <= rest <= 99:
        return accusative
    return singular


def _arabic_words(n: int) -> str:
    text = " ".join(num2words(n, lang="ar").split())
    return text.replace(" و ", " و")  # the conjunction is written attached


def amount_in_words(value: Decimal, language: str) -> str:
    """An amount in dirhams and centimes written in words, as Moroccan contracts state it."""
    value = Decimal(value).quantize(CENT, ROUND_HALF_UP)
    dirhams, centimes = int(value), int((value - int(value)) * 100)
    if language == "ar":
        if dirhams in (1, 2):
            text = _arabic_counted(dirhams, ("درهم", "درهمان", "دراهم", "درهما"))
        else:
            text = (f"{_arabic_words(dirhams)} "
                    f"{_arabic_counted(dirhams, ('درهم', 'درهمان', 'دراهم', 'درهما'))}")
        if centimes:
            forms = ("سنتيم", "سنتيمان", "سنتيمات", "سنتيما")
            cents = (_arabic_counted(centimes, forms) if centimes in (1, 2)
                     else f"{_arabic_words(centimes)} {_arabic_counted(centimes, forms)}")
            text = f"{text} و{cents}"
        return text
    words = num2words(dirhams, lang="fr")
    text = f"{words} dirham{'s' if dirhams > 1 else ''}"
    if words.endswith(("million", "millions", "milliard", "milliards")):
        text = f"{words} de dirhams"
    if centimes:
        text += f" et {num2words(centimes, lang='fr')} centime{'s' if centimes > 1 else ''}"
    return text


# ---------------------------------------------------------------- dates

def moment(value: dt.datetime | None, language: str) -> Markup:
    """A timestamp for a document: the long date (Moroccan month names, as every date of the
    document), the time and the zone offset, each figure run isolated so Arabic never prints
    the offset reversed ("0000+")."""


    if value is None:
        return Markup("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    zone = babel_dates.get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    zone_text = f"UTC{offset[:3]}:{offset[3:]}"
    day = format_day(local.date(), "long", language)
    clock = local.strftime("%H:%M")
    if language == "ar":
        return Markup("{}، {} ({})").format(day, ltr(clock), ltr(zone_text))
    return Markup("{} {} {} ({})").format(ltr(day), _("at"), ltr(clock), ltr(zone_text))


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(babel_dates.get_timezone(
        current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def zone_name(value: dt.datetime | None = None) -> str:
    """"UTC+01:00": the offset of Morocco's legal time at `value` (now by default)."""
    offset = _local(value or dt.datetime.now(dt.UTC)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def local_minute(value: dt.datetime | None) -> str:
    """"30/11/2026 14:05" in Morocco's legal time, for a left-to-right table cell (report.html's
    `ltr` columns), kept on one line by a no-break space: a table of events states its zone
    once, in a sentence above it."""

    if value is None:
        return "—"
    return _local(value).strftime("%d/%m/%Y\u00a0%H:%M")


def numeric_day(value: dt.date | None) -> Markup:
    """A date in a table cell: dd/mm/yyyy in every language of the document (one format per
    document, so a bilingual row never shows "30 déc. 2026" beside "30/12/2026")."""

    if value is None:
        return Markup("—")
    return Markup('<span class="nowrap">{}</span>').format(ltr(value.strftime("%d/%m/%Y")))
