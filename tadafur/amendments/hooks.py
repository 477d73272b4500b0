"""The amendments module's registrations: the verification page lists, for a document an
amendment produced (the sealed amendment, the consolidated convention), the amendment's
sign-offs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tadafur.extensions import db


def signoffs_for_document(document: Any) -> list | None:
    from tadafur.amendments.models import Amendment
    from tadafur.amendments.services import GATE, signoffs_of

    if document.gate != GATE:
        return None
    amendment = db.session.scalar(select(Amendment).where(or_(
        Amendment.document_id == document.id, Amendment.consolidated_id == document.id)))
    if amendment is None:
        return []
    return [s for s in signoffs_of(amendment)
            if s.valid and s.signed_hash == amendment.subject_hash]


def register_hooks() -> None:
    from tadafur.documents import services as documents

    if signoffs_for_document not in documents.SIGNOFF_FINDERS:
        documents.SIGNOFF_FINDERS.append(signoffs_for_document)


register_hooks()
