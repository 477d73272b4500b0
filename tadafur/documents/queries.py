"""The registered documents, read: their kinds and labels, the latest of a kind (the frozen
convention first), the sign-offs a document records, and the registries features fill
(SIGNOFF_FINDERS, SIGNATORY_FINDERS, from their hooks modules). Re-exported by the
document services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import document_store
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_NAMES
from tadafur.vocabulary import label
from tadafur.workflow.models import SignOff

CONVENTION, CONVENTION_SIGNED, SIGNOFF_RECORD = "convention", "convention_signed", "signoff_record"


AMENDMENT = "amendment"  # a sealed amendment (avenant), produced when its gate completes


REPORT_KINDS = ("monitoring_report", "final_report", "evaluation_report", "audit_extract",
                "evidence_manifest")


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


# (project) -> [(funder, amount, paid_on)] of the tranches already paid (the execution module
# registers one): a consolidated convention keeps them as paid and spreads what remains.
PAID_TRANCHE_FINDERS: list = []


GENERATABLE = (CONVENTION, SIGNOFF_RECORD)  # from the documents tab
# kind -> callable(project, actor, language): a registered copy of an existing report in the
# language chosen when downloading (the reporting module registers them).
COPY_PRODUCERS: dict = {}


# kind -> callable(project, document, common context) -> HTML, for documents another module
# lays out (the showcase's public project sheet): registered, stored and verified like
# every other document.
RENDERERS: dict = {}


LANGUAGES = ("ar", "fr", "bilingual")


class DocumentError(TadafurError):
    """User-facing (translated) reason why a document could not be produced."""


def kind_label(kind: str) -> str:
    """A document kind's name in the current language, from the vocabulary the audit trail,
    History and the interface share."""
    return label("document", kind)


def language_label(language: str) -> str:
    """A document language as the language picker names it (each in its own script)."""
    if language == "bilingual":
        return f"{LANGUAGE_NAMES['ar']} / {LANGUAGE_NAMES['fr']}"
    return LANGUAGE_NAMES.get(language, language)


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


def latest_for_projects(project_ids: list[int], kind: str) -> dict[int, RegisteredDocument]:
    """{project id: its latest frozen document of `kind`, else its latest} in one query: what
    a gate signs (`latest_frozen(...) or latest(...)` for many projects)."""
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
    return {**found, **frozen}


def documents_of(project: Any) -> list[RegisteredDocument]:
    return list(db.session.scalars(
        select(RegisteredDocument).where(RegisteredDocument.project_id == project.id)
        .order_by(RegisteredDocument.id.desc())))


def stored_bytes(document: RegisteredDocument) -> bytes:
    return document_store().get(document.storage_key)


def signoffs_of(project: Any) -> list[Any]:
    """The project's sign-offs, in the order they were given (read from the model: the
    workflow's services sit above the documents)."""
    return list(db.session.scalars(
        select(SignOff).where(SignOff.project_id == project.id).order_by(SignOff.id)))


def gate_signoffs(project: Any, gate: str, sha256: str | None = None) -> list[Any]:
    rows = [s for s in signoffs_of(project) if s.gate == gate and getattr(s, "valid", True)]
    if sha256 is not None:
        rows = [s for s in rows if s.signed_hash == sha256]
    if rows:
        last_round = max(getattr(s, "round", 0) for s in rows)
        rows = [s for s in rows if getattr(s, "round", 0) == last_round]
    return sorted(rows, key=lambda s: s.signed_at)
