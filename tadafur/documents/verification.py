"""Verifying a document anyone holds: by its code (or the URL of its QR code) or by
uploading the PDF; says whether it is registered, intact, sealed, and superseded."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.documents import sealing
from tadafur.documents.models import RegisteredDocument, normalise_code
from tadafur.documents.queries import (
    SIGNOFF_FINDERS,
    gate_signoffs,
    latest_frozen,
    signoffs_of,
    stored_bytes,
)
from tadafur.documents.store import sha256_of
from tadafur.extensions import db


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
