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

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.documents import compose, rendering, sealing
from tadafur.documents.compose import (  # noqa: F401  (their callers import them from here)
    content_fingerprint,
    convention_facts,
    party_label,
    verification_url,
)
from tadafur.documents.models import RegisteredDocument, new_code, normalise_code
from tadafur.documents.store import document_store, sha256_of
from tadafur.extensions import db
from tadafur.models_base import utcnow

CONVENTION, CONVENTION_SIGNED, SIGNOFF_RECORD = "convention", "convention_signed", "signoff_record"
AMENDMENT = "amendment"  # a sealed amendment (avenant), produced when its gate completes
REPORT_KINDS = ("monitoring_report", "final_report", "evaluation_report", "audit_extract")
# Carry the platform's seal: the signed-off convention, the amendments, and the reports the
# parties validate.
SEALED_KINDS = (CONVENTION_SIGNED, AMENDMENT, "monitoring_report", "final_report",
                "evaluation_report")
# Registered once every party has signed off (a monitoring report after its validations).
FINAL_KINDS = (CONVENTION_SIGNED, AMENDMENT, "monitoring_report")
KINDS = (CONVENTION, CONVENTION_SIGNED, SIGNOFF_RECORD, AMENDMENT, *REPORT_KINDS)
# Callables(document) -> the sign-offs a final document records, or None when it is not
# theirs (the amendments module registers one for the documents its gate produces).
SIGNOFF_FINDERS: list = []
# Callables(project, party) -> the User named as that party's signatory, or None (an approved
# amendment changing a signatory registers one); else the first active signatory is named.
SIGNATORY_FINDERS: list = []
GENERATABLE = (CONVENTION, SIGNOFF_RECORD)  # from the documents tab
# kind -> callable(project, actor, language): a registered copy of an existing report in the
# language chosen when downloading (the reporting module registers them).
COPY_PRODUCERS: dict = {}
LANGUAGES = ("ar", "fr", "bilingual")


class DocumentError(Exception):
    """User-facing (translated) reason why a document could not be produced."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_label(kind: str) -> str:
    return {
        CONVENTION: _("Partnership convention"),
        CONVENTION_SIGNED: _("Signed-off partnership convention"),
        SIGNOFF_RECORD: _("Sign-off record"),
        AMENDMENT: _("Amendment to the convention"),
        "monitoring_report": _("Monitoring report"),
        "final_report": _("Final report"),
        "evaluation_report": _("Evaluation report"),
        "audit_extract": _("Audit extract"),
    }.get(kind, kind)


def language_label(language: str) -> str:
    return {"ar": "العربية", "fr": "Français", "en": "English",
            "bilingual": "العربية / Français"}.get(language, language)


# ---------------------------------------------------------------- queries

def _of_project(project: Any):
    """The registry's condition for `project`'s documents; None: programme-wide ones."""
    if project is None:
        return RegisteredDocument.project_id.is_(None)
    return RegisteredDocument.project_id == project.id


def latest(project: Any, kind: str) -> RegisteredDocument | None:
    return db.session.scalar(
        select(RegisteredDocument)
        .where(_of_project(project), RegisteredDocument.kind == kind)
        .order_by(RegisteredDocument.version.desc()).limit(1))


def latest_frozen(project: Any, kind: str = CONVENTION) -> RegisteredDocument | None:
    return db.session.scalar(
        select(RegisteredDocument)
        .where(RegisteredDocument.project_id == project.id, RegisteredDocument.kind == kind,
               RegisteredDocument.frozen.is_(True))
        .order_by(RegisteredDocument.version.desc()).limit(1))


def latest_for_projects(project_ids: list[int], kind: str, prefer_frozen: bool = False
                        ) -> dict[int, RegisteredDocument]:
    """{project id: its latest document of `kind`} in one query (frozen first if asked)."""
    if not project_ids:
        return {}
    rows = db.session.scalars(
        select(RegisteredDocument)
        .where(RegisteredDocument.project_id.in_(project_ids), RegisteredDocument.kind == kind)
        .order_by(RegisteredDocument.project_id, RegisteredDocument.version.desc()))
    found: dict[int, RegisteredDocument] = {}
    frozen: dict[int, RegisteredDocument] = {}
    for document in rows:
        found.setdefault(document.project_id, document)
        if document.frozen:
            frozen.setdefault(document.project_id, document)
    return {**found, **frozen} if prefer_frozen else found


def documents_of(project: Any) -> list[RegisteredDocument]:
    return list(db.session.scalars(
        select(RegisteredDocument).where(RegisteredDocument.project_id == project.id)
        .order_by(RegisteredDocument.id.desc())))


def stored_bytes(document: RegisteredDocument) -> bytes:
    return document_store().get(document.storage_key)


def signoffs_of(project: Any) -> list[Any]:
    """The project's sign-offs, through the workflow's service (or its model)."""
    try:
        from tadafur.workflow.services import signoffs
    except ImportError:
        try:
            from tadafur.workflow.models import SignOff
        except ImportError:  # the workflow module is not installed
            return []
        return list(db.session.scalars(select(SignOff).where(SignOff.project_id == project.id)
                                       .order_by(SignOff.signed_at, SignOff.id)))
    return list(signoffs(project))


# ---------------------------------------------------------------- producing

def produce(project: Any, kind: str, actor: Any, language: str | None = None, *,
            frozen: bool = False, gate: str | None = None, final: bool | None = None,
            sections: compose.Sections = None,
            context: dict | None = None) -> RegisteredDocument:
    """Render, store and register one document (flushes; the caller commits).

    `sections` fill the report layout (monitoring, evaluation, audit extract): a list in the
    document's one language, or a callable(language) -> list (needed for "bilingual");
    `context` carries what an amendment and its consolidated convention print (`amendment`)
    and a sealed report's sign-off record (`signoffs`, `signed_document`).
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
        final=kind in FINAL_KINDS if final is None else final, sealed=kind in SEALED_KINDS,
        gate=gate)
    try:
        pdf = compose.render(project, document, sections, context or {})
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
    from tadafur.audit.services import record

    store = document_store()
    stored = store.put(pdf)
    try:
        document.sha256, document.size, document.storage_key = (
            stored.sha256, stored.size, stored.key)
        with db.session.begin_nested():
            db.session.add(document)
            db.session.flush()
            record("document.sealed" if document.sealed else "document.registered",
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


def gate_signoffs(project: Any, gate: str, sha256: str | None = None) -> list[Any]:
    """The valid sign-offs of `gate`'s last round (bound to `sha256` when given)."""
    rows = [s for s in signoffs_of(project) if s.gate == gate and getattr(s, "valid", True)]
    if sha256 is not None:
        rows = [s for s in rows if s.signed_hash == sha256]
    if rows:
        last_round = max(getattr(s, "round", 0) for s in rows)
        rows = [s for s in rows if getattr(s, "round", 0) == last_round]
    return sorted(rows, key=lambda s: s.signed_at)


# ---------------------------------------------------------------- verification

@dataclass
class Verification:
    query: str
    document: RegisteredDocument | None = None
    authentic: bool = False
    reason: str = ""
    seal: sealing.SealStatus | None = None
    signoffs: list = field(default_factory=list)
    uploaded_sha256: str | None = None
    superseded_by: RegisteredDocument | None = None


def find(text: str) -> RegisteredDocument | None:
    """A registered document by full SHA-256 or by verification code."""
    text = (text or "").strip()
    lowered = text.lower()
    if len(lowered) == 64 and all(ch in "0123456789abcdef" for ch in lowered):
        return db.session.scalar(select(RegisteredDocument)
                                 .where(RegisteredDocument.sha256 == lowered))
    code = normalise_code(text)
    if code:
        return db.session.scalar(select(RegisteredDocument)
                                 .where(RegisteredDocument.code == code))
    return None


def verify_upload(data: bytes) -> Verification:
    digest = sha256_of(data)
    document = find(digest)
    result = Verification(query=digest, document=document, uploaded_sha256=digest)
    if document is None:
        result.reason = _("No document with exactly these bytes was registered: this file is "
                          "not an authentic Tadafur document (it may have been altered).")
        status = sealing.validate(data)
        result.seal = status if status.present else None
        return result
    return _describe(result, data)


def verify_reference(text: str) -> Verification:
    document = find(text)
    result = Verification(query=text.strip(), document=document)
    if document is None:
        result.reason = _("No registered document has this hash or verification code.")
        return result
    return _describe(result, stored_bytes(document))


def _describe(result: Verification, data: bytes) -> Verification:
    document = result.document
    result.authentic = True
    if document.sealed:
        result.seal = sealing.validate(data)
        result.authentic = result.seal.ok
    result.superseded_by = db.session.scalar(
        select(RegisteredDocument).where(RegisteredDocument.supersedes_id == document.id)
        .order_by(RegisteredDocument.version).limit(1))
    for finder in SIGNOFF_FINDERS:
        found = finder(document)
        if found is not None:
            result.signoffs = found
            return result
    bound = {document.sha256}
    if document.project is None:  # programme-wide: no sign-offs bind to it
        return result
    if document.final and document.gate:
        frozen = latest_frozen(document.project)
        if frozen is not None:
            bound.add(frozen.sha256)
        result.signoffs = gate_signoffs(document.project, document.gate,
                                         frozen.sha256 if frozen else None)
    else:
        result.signoffs = [s for s in signoffs_of(document.project)
                           if s.signed_hash in bound and getattr(s, "valid", True)]
    return result
