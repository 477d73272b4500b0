"""The amendments module's registrations in the documents module: the verification page
lists, for a document an amendment produced (the sealed amendment, the consolidated
convention), the amendment's sign-offs; the convention names the signatory an approved
amendment chose."""

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


def named_signatory(project: Any, party: str) -> Any:
    """The signatory an approved amendment named for `party`, the latest one winning."""
    from tadafur.amendments.services import approved_signatory

    return approved_signatory(project, party)


def register_hooks() -> None:
    from tadafur.documents import services as documents

    if signoffs_for_document not in documents.SIGNOFF_FINDERS:
        documents.SIGNOFF_FINDERS.append(signoffs_for_document)
    if named_signatory not in documents.SIGNATORY_FINDERS:
        documents.SIGNATORY_FINDERS.append(named_signatory)


register_hooks()
