"""Producing, registering, finding and verifying documents.

`produce` renders a document, stores the bytes and registers them in the caller's
transaction (flush only). If anything fails, nothing is registered and the file it wrote is
removed: a failed render leaves no trace but the error.

The convention's life: the workflow calls `freeze_convention` when the project enters the
signature state (the frozen text is what the parties sign: their sign-offs bind to its
sha256); when the last sign-off completes the gate, `finalize_convention` produces the final
signed-off convention: the convention, the sign-off record appended, and the platform's
PAdES seal.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, gettext as _
from markupsafe import Markup

from tadafur.audit import services as audit  # audit.record read at call time (tests stop it)
from tadafur.documents import rendering, sealing
from tadafur.documents.facts import (  # moved; importable from here as before
    CENT as CENT,
    TRANCHES as TRANCHES,
    BudgetShare as BudgetShare,
    Facts as Facts,
    Tranche as Tranche,
    content_fingerprint as content_fingerprint,
    convention_facts as convention_facts,
)
from tadafur.documents.models import RegisteredDocument, new_code
from tadafur.documents.queries import (  # moved; importable from here as before
    AMENDMENT as AMENDMENT,
    CONVENTION as CONVENTION,
    CONVENTION_SIGNED as CONVENTION_SIGNED,
    FINAL_KINDS as FINAL_KINDS,
    GENERATABLE as GENERATABLE,
    KINDS as KINDS,
    LANGUAGES as LANGUAGES,
    PAID_TRANCHE_FINDERS as PAID_TRANCHE_FINDERS,
    REPORT_KINDS as REPORT_KINDS,
    SEALED_KINDS as SEALED_KINDS,
    SIGNATORY_FINDERS as SIGNATORY_FINDERS,
    SIGNOFF_FINDERS as SIGNOFF_FINDERS,
    SIGNOFF_RECORD as SIGNOFF_RECORD,
    DocumentError as DocumentError,
    documents_of as documents_of,
    gate_signoffs,
    kind_label as kind_label,
    language_label as language_label,
    latest as latest,
    latest_for_projects as latest_for_projects,
    latest_frozen as latest_frozen,
    signoffs_of as signoffs_of,
    stored_bytes as stored_bytes,
)
from tadafur.documents.store import document_store
from tadafur.documents.verification import (  # moved; importable from here as before
    Verification as Verification,
    find as find,
    verify_reference as verify_reference,
    verify_upload as verify_upload,
)
from tadafur.extensions import db
from tadafur.i18n import format_day
from tadafur.models_base import utcnow
from tadafur.workflow.labels import party_label

CONVENTION_ARTICLES = (
    "object", "duration", "objectives", "obligations", "budget", "disbursement", "committee",
    "reporting", "visibility", "termination", "disputes",
)


# ---------------------------------------------------------------- producing

def produce(project: Any, kind: str, actor: Any, language: str | None = None, *,
            frozen: bool = False, gate: str | None = None,
            sections: list[dict] | None = None,
            context: dict | None = None) -> RegisteredDocument:
    """Render, store and register one document (flushes; the caller commits).

    `sections` fill the report layout (monitoring, evaluation, audit extract); `context`
    carries what an amendment and its consolidated convention print (`amendment`).
    """
    if kind not in KINDS:
        raise DocumentError(_("Unknown kind of document."))
    language = language or current_app.config.get("DOCUMENTS_CONVENTION_LANGUAGE", "bilingual")
    if language not in LANGUAGES:
        raise DocumentError(_("Unknown document language."))
    previous = latest(project, kind)
    document = RegisteredDocument(
        code=new_code(), project_id=project.id if project else None, kind=kind,
        language=language,
        version=(previous.version + 1) if previous else 1,
        content_version=getattr(project, "content_version", None),
        created_by_id=getattr(actor, "id", None), created_at=utcnow(),
        supersedes_id=previous.id if previous else None, frozen=frozen,
        final=kind in FINAL_KINDS, sealed=kind in SEALED_KINDS, gate=gate)
    try:
        pdf = _render(project, document, sections, context or {})
        if document.sealed:
            pdf = sealing.seal(pdf)
    except rendering.RenderError as error:
        raise DocumentError(_("The document could not be rendered; nothing was saved.")) \
            from error
    except sealing.SealError as error:
        raise DocumentError(_("The document could not be sealed; nothing was saved.")) \
            from error
    return _register(project, document, pdf, actor)


def _register(project: Any, document: RegisteredDocument, pdf: bytes,
              actor: Any) -> RegisteredDocument:

    store = document_store()
    stored = store.put(pdf)
    try:
        document.sha256, document.size, document.storage_key = (
            stored.sha256, stored.size, stored.key)
        with db.session.begin_nested():
            db.session.add(document)
            db.session.flush()
            audit.record("document.sealed" if document.sealed else "document.registered",
                   obj=document, project=project, actor=actor,
                   summary=f"{document.kind} v{document.version} ({document.language})",
                   after={"kind": document.kind, "version": document.version,
                          "language": document.language, "sha256": document.sha256,
                          "size": document.size, "code": document.code,
                          "frozen": document.frozen, "final": document.final,
                          "supersedes_id": document.supersedes_id})
    except Exception:
        if stored.created:
            store.discard(stored.key)
        raise
    return document


def freeze_convention(project: Any, actor: Any) -> RegisteredDocument:
    """DOCUMENT_PRODUCERS['convention']: the text put to signature, frozen."""
    return produce(project, CONVENTION, actor, frozen=True)


def finalize_convention(project: Any, gate: str, actor: Any) -> RegisteredDocument | None:
    """GATE_COMPLETED: after the convention's last sign-off, the sealed final convention."""
    frozen = latest_frozen(project)
    if frozen is None:
        return None
    signed = gate_signoffs(project, gate, frozen.sha256)
    if not signed:
        return None  # not the convention's gate
    return produce(project, CONVENTION_SIGNED, actor, frozen.language, gate=gate)


# ---------------------------------------------------------------- rendering

def verification_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("TADAFUR_PUBLIC_BASE_URL")
    if base:
        return f"{base.rstrip('/')}/verify/{code}"
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("documents.verify_code", code=code, _external=True)
    return f"http://localhost:5000/verify/{code}"


def _render(project: Any, document: RegisteredDocument,
            sections: list[dict] | None = None, context: dict | None = None) -> bytes:
    common = _common_context(project, document)
    context = context or {}
    if document.kind == CONVENTION:
        return rendering.render_pdf(_convention_html(project, document, common))
    if document.kind == AMENDMENT or (document.kind == CONVENTION_SIGNED
                                      and "amendment" in context):
        return rendering.render_pdf(_amendment_html(project, document, common, context))
    if document.kind == CONVENTION_SIGNED:
        frozen = latest_frozen(project)
        common.update(signed_document=frozen, party_label=party_label,
                      signoffs=gate_signoffs(project, document.gate,
                                              frozen.sha256 if frozen else None))
        return rendering.render_pdf(_convention_html(project, document, common))
    if document.kind == SIGNOFF_RECORD:
        signoffs = [s for s in signoffs_of(project) if getattr(s, "valid", True)]
        return rendering.render_pdf(_record_html(project, document, common, signoffs, None))
    return rendering.render_pdf(_report_html(project, document, common, sections))


def _common_context(project: Any, document: RegisteredDocument) -> dict:
    url = verification_url(document.code)
    return {
        "project": project, "document": document, "verify_url": url,
        "qr": rendering.qr_data_uri(url),
        "fingerprint": content_fingerprint(project)[:12] if project else None,
        "generated_at": document.created_at, "draft": not (document.frozen or document.final),
        "signed_document": None,
    }


def _locale_for(language: str) -> str:
    return "fr" if language == "bilingual" else language


def _convention_html(project: Any, document: RegisteredDocument, common: dict) -> str:
    languages = ("fr", "ar") if document.language == "bilingual" else (document.language,)
    facts = convention_facts(project)
    parts: dict[str, dict[str, Markup]] = {}
    env = current_app.jinja_env
    for language in languages:
        module = env.get_template(f"documents/convention/articles_{language}.html").module
        with force_locale(language):
            context = {**common, **facts, "lang": language}
            parts[language] = {
                "preamble": Markup(module.preamble(context)),
                "parties": Markup(module.parties(context)),
                "articles": [Markup(getattr(module, name)(context, number))
                             for number, name in enumerate(CONVENTION_ARTICLES, start=1)],
                "heading": Markup(module.heading(context)),
            }
    with force_locale(_locale_for(document.language)):
        return render_template("documents/convention.html", **common, **facts,
                               parts=parts, languages=languages, zip=zip,
                               articles_module=lambda language: env.get_template(
                                   f"documents/convention/articles_{language}.html").module,
                               lang=_locale_for(document.language),
                               bilingual=document.language == "bilingual")


def _amendment_html(project: Any, document: RegisteredDocument, common: dict,
                    context: dict) -> str:
    """The sealed amendment (its diff and sign-off record), or the consolidated convention
    (the convention with the amended values, naming the amendment, with its record).

    The amendments module hands over what to print (`context`): the amendment, its valid
    sign-offs, `diff(format_date)`, `kind_label(kind)` and `parties()` (their labels, read
    in each language of the document); the documents sit below the amendments and never
    import them (tadafur.amendments.services.document_context)."""
    amendment = context["amendment"]
    common.update(amendment=amendment, party_label=party_label,
                  signoffs=context["signoffs"])
    languages = ("fr", "ar") if document.language == "bilingual" else (document.language,)
    if document.kind == CONVENTION_SIGNED:
        common["consolidated_bands"] = [(language, _consolidated_band(amendment, document,
                                                                      language))
                                        for language in languages]
        return _convention_html(project, document, common)
    bodies = []
    for language in languages:
        with force_locale(language):
            bodies.append((language, Markup(render_template(
                "documents/_amendment_body.html", **common, lang=language,
                diff=context["diff"](lambda text, lang=language: _day(text, lang)),
                kind_label=context["kind_label"],
                parties=context["parties"]()))))
    with force_locale(_locale_for(document.language)):
        return render_template("documents/amendment.html", **common, bodies=bodies,
                               lang=_locale_for(document.language))


def _consolidated_band(amendment: Any, document: RegisteredDocument, language: str) -> str:
    """The consolidated convention's notice, in one of its languages."""

    with force_locale(language):
        return _("Consolidated text: the convention as amended by amendment No. %(number)s, "
                 "approved on %(when)s. It supersedes version %(previous)s.",
                 number=amendment.number,
                 when=format_day(amendment.decided_at or document.created_at, "long",
                                 language),
                 previous=document.version - 1 if document.version > 1 else "—")


def _day(text: str | None, language: str) -> str:

    return format_day(dt.date.fromisoformat(text), language=language) if text else "—"


def _record_html(project: Any, document: RegisteredDocument, common: dict,
                 signoffs: list[Any], frozen: RegisteredDocument | None) -> str:
    language = _locale_for(document.language)
    with force_locale(language):
        context = {**common, "lang": language, "signoffs": signoffs,
                   "signed_document": frozen, "party_label": party_label}
        return render_template("documents/signoff_record.html", **context)


def _report_html(project: Any, document: RegisteredDocument, common: dict,
                 sections: list[dict] | None = None) -> str:
    language = _locale_for(document.language)
    with force_locale(language):
        return render_template("documents/report.html", **common, lang=language,
                               title=kind_label(document.kind), sections=sections or [])
