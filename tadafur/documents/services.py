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

from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from tadafur.audit import services as audit  # audit.record read at call time (tests stop it)
from tadafur.documents import compose, queries, rendering, sealing
from tadafur.documents.compose import (  # noqa: F401  (their callers import them from here)
    party_label,
    verification_url,
)
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
    COPY_PRODUCERS as COPY_PRODUCERS,
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
    gate_signoffs as gate_signoffs,
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
from tadafur.models_base import utcnow

# ---------------------------------------------------------------- producing

def produce(project: Any, kind: str, actor: Any, language: str | None = None, *,
            frozen: bool = False, gate: str | None = None, final: bool | None = None,
            sealed: bool | None = None, sections: compose.Sections = None,
            context: dict | None = None) -> RegisteredDocument:
    """Render, store and register one document (flushes; the caller commits).

    `sections` fill the report layout (monitoring, evaluation, audit extract): a list in the
    document's one language, or a callable(language) -> list (needed for "bilingual");
    `context` carries what an amendment and its consolidated convention print (`amendment`
    and what the amendments module hands over) and a sealed report's sign-off record
    (`signoffs`, `signed_document`). `final` and `sealed` override the kind's defaults:
    a kind another module lays out (the showcase's project sheet) asks for the seal here,
    since SEALED_KINDS only knows the documents module's own kinds.
    """
    if kind not in KINDS and kind not in queries.RENDERERS:
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
        final=kind in FINAL_KINDS if final is None else final,
        sealed=kind in SEALED_KINDS if sealed is None else sealed, gate=gate)
    try:
        pdf = compose.render(project, document, sections, context or {})
        if document.sealed:
            pdf = sealing.seal(pdf, reason=sealing.SIGNED_OFF_REASON if kind in SEALED_KINDS
                               else sealing.ISSUED_REASON)
    except rendering.RenderError as error:
        raise DocumentError(_("The document could not be rendered; nothing was saved.")) \
            from error
    except sealing.SealError as error:
        raise DocumentError(_("The document could not be sealed; nothing was saved.")) \
            from error
    return _register(project, document, pdf, actor)


def produce_for_reader(project: Any, kind: str, actor: Any, language: str
                       ) -> RegisteredDocument:
    """What the Documents tab makes in the language chosen there: a registered copy of a
    report (COPY_PRODUCERS, registered by the reporting module), or the convention or the
    sign-off record produced anew."""
    if kind in COPY_PRODUCERS:
        return COPY_PRODUCERS[kind](project, actor, language)
    return produce(project, kind, actor, language)


def _register(project: Any, document: RegisteredDocument, pdf: bytes,
              actor: Any) -> RegisteredDocument:

    store = document_store()
    stored = store.put(pdf)
    if stored.created:  # discarded if the transaction that registers it rolls back
        db.session().info.setdefault(_STORED, []).append(stored.key)
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


_STORED = "tadafur.documents.stored"


@event.listens_for(Session, "after_commit")
def _keep_stored(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy calls after_commit for those too)
    session.info.pop(_STORED, None)


@event.listens_for(Session, "after_rollback")
def _discard_stored(session: Session) -> None:
    """A transaction that wrote document files and rolled back (a failed job: its second
    document failed, or its commit did) leaves no file behind: registered together or not
    at all. A file this transaction created was referenced by no committed row. (A failed
    savepoint's own file is discarded by `_register`.)"""
    if session.in_nested_transaction():
        return
    keys = session.info.pop(_STORED, None)
    if not keys or not has_app_context():
        return
    store = document_store()
    for key in keys:
        store.discard(key)


def convention_gate(project: Any, gate: str) -> bool:
    """Whether `gate` is the one the frozen convention is signed at (its sign-offs bind to
    the frozen convention's hash): its completion seals the final convention."""
    frozen = latest_frozen(project)
    return frozen is not None and bool(gate_signoffs(project, gate, frozen.sha256))


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
