"""The HTML of every document kind, in its language or both, and the convention's facts.

A bilingual convention is one two-column table (French left, Arabic right, a rule in the
gutter): the bands, closing line and signature blocks are rows of it too, so no word crosses
the gutter. Bilingual reports and sign-off records print the French part, then the Arabic
part (their wide tables do not fit half a page). Every code is put into words in the
language of the part it is printed in (`labels`), inside `force_locale(language)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel import numbers as babel_numbers
from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from markupsafe import Markup
from sqlalchemy import select

from tadafur.amendments.models import Amendment
from tadafur.core.urls import public_url
from tadafur.documents import labels, queries, rendering
from tadafur.documents.facts import content_fingerprint, convention_facts
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tadafur.i18n import _strip_marks, format_day, format_locale, localized, ltr, printing

CONVENTION_ARTICLES = (
    "object", "duration", "objectives", "obligations", "budget", "disbursement", "committee",
    "reporting", "visibility", "termination", "disputes",
)
ORIGINALS_WORDS = {
    "fr": {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"},
    "ar": {3: "ثلاثة", 4: "أربعة", 5: "خمسة", 6: "ستة"},
}
Sections = list[dict] | Callable[[str], list[dict]] | None


def verification_url(code: str) -> str:
    """The QR code's and footer's URL: under TADAFUR_PUBLIC_BASE_URL (tadafur.core.urls)."""

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

    if value is None:
        return Markup("—")
    text = babel_numbers.format_decimal(Decimal(value), format="#,##0.00",
                                        locale=format_locale(language))
    return Markup('<span class="nowrap">{}</span>').format(ltr(_strip_marks(text), language))


def _localized_commune(project: Any, language: str) -> str:
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
    """The document's PDF (i18n.printing: values in French text need no span)."""
    with printing():
        return _render(project, document, sections, context)


def _render(project: Any, document: Any, sections: Sections,
            context: dict | None) -> bytes:
    services = queries  # the kinds and the lookups (compose sits below produce())
    install_helpers()
    common = common_context(project, document)
    context = context or {}
    kind = document.kind
    if kind in services.RENDERERS:  # laid out by another module (the showcase's sheet)
        return rendering.render_pdf(services.RENDERERS[kind](project, document, common))
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

    by_hash = {d.sha256: d for d in db.session.scalars(
        select(RegisteredDocument).where(RegisteredDocument.project_id == project.id))}

    amendments: dict[str, Any] | None = None

    def amendment_signed(signed_hash: str) -> Any:
        """The project's amendment whose terms hash to `signed_hash` (all read once)."""
        nonlocal amendments
        if amendments is None:
            amendments = {a.subject_hash: a for a in db.session.scalars(
                select(Amendment).where(Amendment.project_id == project.id))}
        return amendments.get(signed_hash)

    def signed_subject(signoff: Any) -> str:
        kind_label = queries.kind_label

        if amendment is not None and signoff.signed_hash == amendment.subject_hash:
            return _("Amendment No. %(number)s", number=amendment.number)
        document = by_hash.get(signoff.signed_hash)
        if document is not None:
            return _("%(document)s, version %(version)s", document=kind_label(document.kind),
                     version=document.version)
        if signoff.subject == "content":
            return _("content of the proposal")
        if signoff.gate == "amendment":
            # The stand-alone record lists every amendment's sign-offs: say which one.
            signed = amendment_signed(signoff.signed_hash)
            return _("Amendment No. %(number)s", number=signed.number) if signed else ""
        return _("the step itself")

    return signed_subject


def records(project: Any, common: dict, signoffs: list[Any], signed_document: Any,
            amendment: Any = None) -> dict[str, Markup]:
    """The sign-off record in each language of the document."""
    kind_label = queries.kind_label

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
    CONVENTION_SIGNED = queries.CONVENTION_SIGNED

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
    (the convention with the amended values, naming the amendment, with its record).

    The amendments module hands over what to print (`context`, see
    tadafur.amendments.services.document_context): the amendment, its valid sign-offs,
    `diff(format_date)`, `kind_label(kind)` and `parties()`, read in each language of the
    document; the documents sit below the amendments and never import them."""
    amendment = context["amendment"]
    signoffs = context["signoffs"]
    common.update(amendment=amendment, party_label=party_label, signoffs=signoffs,
                  records=records(project, common, signoffs, None, amendment))
    languages = document_languages(document.language)
    if document.kind == queries.CONVENTION_SIGNED:
        common["consolidated_bands"] = [(language, _consolidated_band(amendment, document,
                                                                      language))
                                        for language in languages]
        return convention_html(project, document, common)
    bodies = []
    for language in languages:
        with force_locale(language):
            bodies.append((language, Markup(render_template(
                "documents/_amendment_body.html", **{**common, "lang": language},
                diff=context["diff"](lambda text, lang=language: _day(text, lang)),
                kind_label=context["kind_label"], parties=context["parties"]()))))
    with force_locale(main_language(document.language)):
        return render_template("documents/amendment.html", **common, bodies=bodies,
                               record_languages=languages)


def _consolidated_band(amendment: Any, document: Any, language: str) -> str:
    """The consolidated convention's notice, in one of its languages."""

    with force_locale(language):
        return _("Consolidated text: the convention as amended by amendment No. %(number)s, "
                 "approved on %(when)s. It supersedes version %(previous)s.",
                 number=amendment.number,
                 when=format_day(amendment.decided_at or document.created_at, "long",
                                 language),
                 previous=document.version - 1 if document.version > 1 else "—")


def _day(text: str | None, language: str) -> str:
    return format_day(dt.date.fromisoformat(text), "long", language) if text else "—"


# ---------------------------------------------------------------- reports

def report_html(project: Any, document: Any, common: dict, sections: Sections,
                context: dict) -> str:
    """One part per language; a sealed report carries its sign-off record in each."""
    kind_label = queries.kind_label

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
