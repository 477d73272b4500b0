"""The HTML of every document kind, in its language or both, and the convention's facts.

A bilingual convention is one two-column table (French left, Arabic right, a rule in the
gutter): the bands, closing line and signature blocks are rows of it too, so no word crosses
the gutter. Bilingual reports and sign-off records print the French part, then the Arabic
part (their wide tables do not fit half a page). Every code is put into words in the
language of the part it is printed in (`labels`), inside `force_locale(language)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import numbers as babel_numbers
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from tadafur.documents import labels, rendering
from tadafur.extensions import db

CONVENTION_ARTICLES = (
    "object", "duration", "objectives", "obligations", "budget", "disbursement", "committee",
    "reporting", "visibility", "termination", "disputes",
)
TRANCHES = (Decimal("0.40"), Decimal("0.40"), Decimal("0.20"))
CENT = Decimal("0.01")
ORIGINALS_WORDS = {
    "fr": {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"},
    "ar": {3: "ثلاثة", 4: "أربعة", 5: "خمسة", 6: "ستة"},
}
Sections = list[dict] | Callable[[str], list[dict]] | None


def verification_url(code: str) -> str:
    """The QR code's and footer's URL: under TADAFUR_PUBLIC_BASE_URL (tadafur.core.urls)."""
    from tadafur.core.urls import public_url

    return public_url("documents.verify_code", code=code) or f"/verify/{code}"


def document_languages(language: str) -> tuple[str, ...]:
    return ("fr", "ar") if language == "bilingual" else (language,)


def main_language(language: str) -> str:
    return "fr" if language == "bilingual" else language


def party_label(party: str) -> str:
    return {"commune": _("Commune"), "association": _("Association"),
            "programme": _("Programme")}.get(party, _("Other party"))


def _number2(value: Any, language: str) -> Markup:
    """An amount in a table whose header names the currency: figures only, one LTR run."""
    from tadafur.i18n import _strip_marks, format_locale, ltr

    if value is None:
        return Markup("—")
    text = babel_numbers.format_decimal(Decimal(value), format="#,##0.00",
                                        locale=format_locale(language))
    return Markup('<span class="nowrap">{}</span>').format(ltr(_strip_marks(text)))


def _localized_commune(project: Any, language: str) -> str:
    from tadafur.i18n import localized

    return localized(project.commune, "name", language)


def install_helpers() -> None:
    """The documents' filters, on the application's Jinja environment (idempotent)."""
    env = current_app.jinja_env
    if "typed" in env.filters:
        return
    env.filters.update(
        typed=labels.typed, typed_block=labels.typed_block, category=labels.category_label,
        number2=_number2,
        amount_words=lambda value, language: labels.amount_in_words(value, language),
        numeric_day=labels.numeric_day, de=labels.de,
        with_article=labels.association_article, document_moment=labels.moment,
        localized_commune=_localized_commune)
    env.globals.update(Markup=Markup)


def texts(language: str) -> dict[str, str]:
    """The fixed words of the page (footer, bands), in `language`."""
    with force_locale(language):
        return {"programme": _("Tadafur programme"), "reference": _("Reference"),
                "code": _("Verification code"), "draft": _("Draft: not for signature"),
                "date_and_signature": _("Date and signature"),
                "nothing": _("Nothing to report yet."),
                "programme_wide": _("Co-creation programme")}


def common_context(project: Any, document: Any) -> dict:
    url = verification_url(document.code)
    languages = document_languages(document.language)
    return {
        "project": project, "document": document, "verify_url": url,
        "qr": rendering.qr_data_uri(url),
        "fingerprint": content_fingerprint(project)[:12] if project else None,
        "generated_at": document.created_at, "draft": not (document.frozen or document.final),
        "signed_document": None, "footer_languages": languages,
        "texts": {language: texts(language) for language in languages},
        "lang": main_language(document.language),
    }


def render(project: Any, document: Any, sections: Sections = None,
           context: dict | None = None) -> bytes:
    from tadafur.documents import services

    install_helpers()
    common = common_context(project, document)
    context = context or {}
    kind = document.kind
    if kind == services.CONVENTION:
        return rendering.render_pdf(convention_html(project, document, common))
    if kind == services.AMENDMENT or (kind == services.CONVENTION_SIGNED
                                      and "amendment" in context):
        return rendering.render_pdf(amendment_html(project, document, common, context))
    if kind == services.CONVENTION_SIGNED:
        frozen = services.latest_frozen(project)
        signoffs = services.gate_signoffs(project, document.gate,
                                           frozen.sha256 if frozen else None)
        common.update(signed_document=frozen, signoffs=signoffs,
                      records=records(project, common, signoffs, frozen))
        return rendering.render_pdf(convention_html(project, document, common))
    if kind == services.SIGNOFF_RECORD:
        signoffs = [s for s in services.signoffs_of(project) if getattr(s, "valid", True)]
        common["records"] = records(project, common, signoffs, None)
        return rendering.render_pdf(render_template(
            "documents/signoff_record.html", **common,
            record_languages=document_languages(document.language)))
    return rendering.render_pdf(report_html(project, document, common, sections, context))


# ---------------------------------------------------------------- sign-off records

def _subject_words(project: Any, amendment: Any = None) -> Callable[[Any], str]:
    """signed_subject(sign-off): the document and version a sign-off bound to, in words."""
    from tadafur.documents.models import RegisteredDocument

    by_hash = {d.sha256: d for d in db.session.scalars(
        select(RegisteredDocument).where(RegisteredDocument.project_id == project.id))}

    def signed_subject(signoff: Any) -> str:
        from tadafur.documents.services import kind_label

        if amendment is not None and signoff.signed_hash == amendment.subject_hash:
            return _("Amendment No. %(number)s", number=amendment.number)
        document = by_hash.get(signoff.signed_hash)
        if document is not None:
            return _("%(document)s, version %(version)s", document=kind_label(document.kind),
                     version=document.version)
        if signoff.subject == "content":
            return _("content of the proposal")
        if signoff.gate == "amendment":
            return ""  # its gate's words name it; the hash follows
        return _("the step itself")

    return signed_subject


def records(project: Any, common: dict, signoffs: list[Any], signed_document: Any,
            amendment: Any = None) -> dict[str, Markup]:
    """The sign-off record in each language of the document."""
    from tadafur.documents.services import kind_label

    signed_subject = _subject_words(project, amendment)
    found = {}
    for language in common["footer_languages"]:
        with force_locale(language):
            values = {**common, "lang": language, "signoffs": signoffs,
                      "signed_document": signed_document, "party_label": party_label,
                      "gate_label": labels.gate_label,
                      "user_roles_label": labels.user_roles_label,
                      "signed_subject": signed_subject, "document_kind_words": kind_label}
            if amendment is not None:
                values["amendment"] = amendment
            found[language] = Markup(render_template("documents/_signoff_record_body.html",
                                                     **values))
    return found


# ---------------------------------------------------------------- the convention

def convention_html(project: Any, document: Any, common: dict) -> str:
    from tadafur.documents.services import CONVENTION_SIGNED

    languages = document_languages(document.language)
    facts = convention_facts(project)
    if document.kind == CONVENTION_SIGNED and common.get("signoffs"):
        facts["signature_date"] = max(s.signed_at for s in common["signoffs"]).date()
    env = current_app.jinja_env
    modules = {language: env.get_template(f"documents/convention/articles_{language}.html")
               .module for language in languages}
    parts: dict[str, dict] = {}
    bands: dict[str, dict] = {}
    for language in languages:
        module = modules[language]
        with force_locale(language):
            context = {**common, **facts, "lang": language,
                       "months_text": (labels.months_label(facts["months"])
                                       if facts["months"] else ""),
                       "originals_ar": _originals(facts["originals"], "ar"),
                       "originals": _originals(facts["originals"], "fr")}
            parts[language] = {
                "heading": Markup(module.heading(context)),
                "preamble": Markup(module.preamble(context)),
                "parties": Markup(module.parties(context)),
                "articles": [Markup(getattr(module, name)(context, number))
                             for number, name in enumerate(CONVENTION_ARTICLES, start=1)],
                "closing": Markup(module.closing(context)),
            }
            bands[language] = {"draft": _("Draft: not for signature"),
                               "date_and_signature": _("Date and signature")}

    def render_signature(language: str, party: str, person: Any) -> str:
        with force_locale(language):
            return render_template(
                "documents/_signature.html", language=language, person=person,
                label=Markup(modules[language].signature_label(
                    party, project, facts["programme_name"], person)),
                date_and_signature=bands[language]["date_and_signature"])

    signers = [("commune", facts["commune_signatory"]),
               ("association", facts["association_signatory"]), ("programme", None)]
    with force_locale(main_language(document.language)):
        return render_template("documents/convention.html", **common, **facts,
                               parts=parts, languages=languages, zip=zip, bands=bands,
                               signers=signers, render_signature=render_signature,
                               record_languages=languages,
                               bilingual=document.language == "bilingual")


def _originals(count: int, language: str) -> str:
    """"quatre (4)" (then "exemplaires originaux"); Arabic: the whole phrase, the counted
    noun agreeing with the number ("أربعة (4) نظائر أصلية", "نظيرين (2) أصليين")."""
    words = ORIGINALS_WORDS[language].get(count)
    if language == "ar":
        if count == 2:
            return "نظيرين (2) أصليين"
        return f"{words} ({count}) نظائر أصلية" if words else f"{count} نظيرا أصليا"
    return f"{words} ({count})" if words else str(count)


# ---------------------------------------------------------------- amendments

def amendment_html(project: Any, document: Any, common: dict, context: dict) -> str:
    """The sealed amendment (its diff and sign-off record), or the consolidated convention
    (the convention with the amended values, naming the amendment, with its record)."""
    from tadafur.amendments import services as amendments
    from tadafur.documents.services import CONVENTION_SIGNED

    amendment = context["amendment"]
    signoffs = [s for s in amendments.signoffs_of(amendment) if s.valid
                and s.signed_hash == amendment.subject_hash]
    common.update(amendment=amendment, party_label=party_label, signoffs=signoffs,
                  records=records(project, common, signoffs, None, amendment))
    languages = document_languages(document.language)
    if document.kind == CONVENTION_SIGNED:
        common["consolidated_bands"] = [(language, _consolidated_band(amendment, document,
                                                                      language))
                                        for language in languages]
        return convention_html(project, document, common)
    bodies = []
    for language in languages:
        with force_locale(language):
            bodies.append((language, Markup(render_template(
                "documents/_amendment_body.html", **{**common, "lang": language},
                diff=amendments.diff(amendment, lambda text, lang=language: _day(text, lang)),
                kind_label=lambda kind: amendments.kind_label(
                    kind, amendments.rules_of(project)),
                parties=amendments.party_labels(amendment)))))
    with force_locale(main_language(document.language)):
        return render_template("documents/amendment.html", **common, bodies=bodies,
                               record_languages=languages)


def _consolidated_band(amendment: Any, document: Any, language: str) -> str:
    """The consolidated convention's notice, in one of its languages."""
    from tadafur.i18n import format_day

    with force_locale(language):
        return _("Consolidated text: the convention as amended by amendment No. %(number)s, "
                 "approved on %(when)s. It supersedes version %(previous)s.",
                 number=amendment.number,
                 when=format_day(amendment.decided_at or document.created_at, "long",
                                 language),
                 previous=document.version - 1 if document.version > 1 else "—")


def _day(text: str | None, language: str) -> str:
    from tadafur.i18n import format_day

    return format_day(dt.date.fromisoformat(text), "long", language) if text else "—"


# ---------------------------------------------------------------- reports

def report_html(project: Any, document: Any, common: dict, sections: Sections,
                context: dict) -> str:
    """One part per language; a sealed report carries its sign-off record in each."""
    from tadafur.documents.services import kind_label

    sealed_records = {}
    if context.get("signoffs") is not None:
        common["signed_document"] = context.get("signed_document")
        sealed_records = records(project, common, context["signoffs"],
                                 context.get("signed_document"))
    parts = []
    for language in document_languages(document.language):
        with force_locale(language):
            found = sections(language) if callable(sections) else (sections or [])
            parts.append((language, {
                "title": kind_label(document.kind), "sections": found,
                "texts": common["texts"][language],
                "generated": Markup(_("Generated on %(when)s.")) % {
                    "when": labels.moment(document.created_at, language)},
                "record": sealed_records.get(language)}))
    with force_locale(main_language(document.language)):
        return render_template("documents/report.html", **common, parts=parts)


# ---------------------------------------------------------------- the convention's facts

@dataclass
class BudgetShare:
    funder: str
    total: Decimal
    share: Decimal  # percent, two decimals


@dataclass
class Tranche:
    funder: str
    number: int
    amount: Decimal
    due: str  # "signature" | "interim" | "final"
    date: dt.date | None


@dataclass
class Deliberation:
    number: str
    date: dt.date | None


def deliberation_of(project: Any) -> Deliberation | None:
    """The council's deliberation as the commune recorded it in the workflow."""
    try:
        from tadafur.workflow.models import TransitionRecord
    except ImportError:
        return None
    record = db.session.scalar(
        select(TransitionRecord).where(TransitionRecord.project_id == project.id,
                                       TransitionRecord.trigger == "record_deliberation")
        .order_by(TransitionRecord.seq.desc()).limit(1))
    if record is None or not record.data.get("session_number"):
        return None
    when = record.data.get("session_date")
    return Deliberation(str(record.data["session_number"]),
                        dt.date.fromisoformat(when) if when else None)


def convention_facts(project: Any) -> dict:
    """Everything the convention computes from the project: totals, shares, schedule, dates."""
    from tadafur.accounts.models import Membership, Role, User
    from tadafur.documents.services import SIGNATORY_FINDERS

    lines = list(project.budget_lines)
    total = sum((line.amount for line in lines), Decimal("0"))
    funders = []
    for line in lines:
        if line.funder not in funders:
            funders.append(line.funder)
    shares = []
    for funder in funders:
        part = sum((line.amount for line in lines if line.funder == funder), Decimal("0"))
        share = (part * 100 / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal("0")
        shares.append(BudgetShare(funder, part, share))

    start, end = project.start_date, project.end_date
    months = None
    midpoint = None
    if start and end:
        months = labels.months_between(start, end)
        midpoint = start + (end - start) / 2
    tranches = []
    for share in shares:
        if share.funder not in ("commune", "programme") or not share.total:
            continue
        amounts = [(share.total * rate).quantize(CENT, ROUND_HALF_UP) for rate in TRANCHES]
        amounts[-1] = share.total - sum(amounts[:-1])
        for number, (amount, due, date) in enumerate(
                zip(amounts, ("signature", "interim", "final"),
                    (start, midpoint, end + dt.timedelta(days=30) if end else None),
                    strict=True), start=1):
            tranches.append(Tranche(share.funder, number, amount, due, date))

    def signatory(role: Role, column: Any, value: int) -> User | None:
        party = "commune" if role == Role.COMMUNE_SIGNATORY else "association"
        for finder in SIGNATORY_FINDERS:
            named = finder(project, party)
            if named is not None:
                return named
        return db.session.scalar(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == role.value, column == value, User.active.is_(True))
            .order_by(User.id).limit(1))

    return {
        "budget_lines": lines, "shares": shares, "budget_total": total, "tranches": tranches,
        "months": months, "interim_date": midpoint,
        "final_report_date": end + dt.timedelta(days=30) if end else None,
        "commune_signatory": signatory(Role.COMMUNE_SIGNATORY, Membership.commune_id,
                                       project.commune_id),
        "association_signatory": signatory(Role.ASSOCIATION_SIGNATORY,
                                           Membership.association_id,
                                           project.lead_association_id),
        "deliberation": deliberation_of(project), "signature_date": None,
        "originals": int(current_app.config.get("DOCUMENTS_ORIGINALS", 4)),
        "programme_name": current_app.config.get(
            "PROGRAMME_NAME", {"ar": "برنامج تضافر", "fr": "Programme Tadafur"}),
        "court": current_app.config.get(
            "DOCUMENTS_COURT", {"ar": "المحكمة الإدارية المختصة",
                                "fr": "le tribunal administratif compétent"}),
    }


def content_fingerprint(project: Any) -> str:
    """SHA-256 of the project's content as the convention states it (printed, shortened)."""
    values = {
        "reference": project.reference, "title_ar": project.title_ar,
        "title_fr": project.title_fr, "objectives": project.objectives,
        "commune": project.commune_id, "association": project.lead_association_id,
        "partners": sorted(a.id for a in project.partners),
        "start": project.start_date.isoformat() if project.start_date else None,
        "end": project.end_date.isoformat() if project.end_date else None,
        "budget": [[line.category, line.description, str(line.amount), line.funder,
                    bool(line.in_kind)] for line in project.budget_lines],
    }
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
