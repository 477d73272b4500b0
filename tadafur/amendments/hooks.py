"""The amendments module's registrations (called once by tadafur.wiring at app start).

- documents: the verification page lists, for a document an amendment produced (the sealed
  amendment, the consolidated convention), the amendment's sign-offs; the convention names the
  signatory an approved amendment chose;
- projects: the edit veto (what an open amendment touches cannot be edited elsewhere) and the
  project page's Amendments tab;
- the home page's panel of amendments awaiting my sign-off;
- the job that seals an approved amendment and produces the consolidated convention.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from tadafur.amendments import dashboard, services, views
from tadafur.amendments.models import Amendment
from tadafur.core.dashboard import panel
from tadafur.documents import services as documents
from tadafur.documents.hooks import job_subjects
from tadafur.extensions import db
from tadafur.jobs import registry as jobs_registry
from tadafur.jobs.registry import JobFailure
from tadafur.projects import services as projects, tabs


def signoffs_for_document(document: Any) -> list | None:
    if document.gate != services.GATE:
        return None
    amendment = db.session.scalar(select(Amendment).where(or_(
        Amendment.document_id == document.id, Amendment.consolidated_id == document.id)))
    if amendment is None:
        return []
    return [s for s in services.signoffs_of(amendment)
            if s.valid and s.signed_hash == amendment.subject_hash]


def named_signatory(project: Any, party: str) -> Any:
    """The signatory an approved amendment named for `party`, the latest one winning."""
    return services.approved_signatory(project, party)


def run_documents(job: Any) -> None:
    _project, actor = job_subjects(job)
    amendment = db.session.get(Amendment, job.params["amendment_id"])
    if amendment is None:
        raise JobFailure("missing")
    services.produce_documents(amendment, actor)


def register_hooks() -> None:
    jobs_registry.register("amendments.documents", run_documents,
                           _l("Sealing the amendment and the consolidated convention"),
                           produces=(documents.AMENDMENT, documents.CONVENTION_SIGNED))
    if signoffs_for_document not in documents.SIGNOFF_FINDERS:
        documents.SIGNOFF_FINDERS.append(signoffs_for_document)
    if named_signatory not in documents.SIGNATORY_FINDERS:
        documents.SIGNATORY_FINDERS.append(named_signatory)
    if services.ensure_not_locked not in projects.EDIT_VETOES:
        projects.EDIT_VETOES.append(services.ensure_not_locked)
    tabs.register("amendments", views.tab_context)
    panel(dashboard.amendments_panel)
