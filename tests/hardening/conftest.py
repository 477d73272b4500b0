"""Shared by the attack tests: two projects with every part a URL can name, one on the
personas' side (their commune and association), one of another commune."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import document_store
from tadafur.extensions import db
from tadafur.jobs.models import Job
from tests.projects.conftest import complete, make_project


def _document(project) -> RegisteredDocument:
    stored = document_store().put(b"%PDF-1.4\n% matrix " + str(project.id).encode()
                                  + b"\n%%EOF\n")
    document = RegisteredDocument(project_id=project.id, kind="audit_extract", language="fr",
                                  version=1, sha256=stored.sha256, size=stored.size,
                                  storage_key=stored.key)
    db.session.add(document)
    db.session.flush()
    return document


@pytest.fixture
def world(agent, commune, association, outsider_agent, other_commune, other_association):
    """Two projects with their parts: one of the personas' side, one of another commune's."""
    from tadafur.projects import services

    services.seed_themes()
    theme_id = services.all_themes()[0].id
    objects = {}
    for side, actor, owner_commune, owner_association in (
            ("own", agent, commune, association),
            ("other", outsider_agent, other_commune, other_association)):
        project = complete(make_project(actor, owner_commune, owner_association), actor)
        services.add_indicator(actor, project, {
            "level": "output", "name": "Participants", "unit": "personnes", "baseline": 0,
            "target": 10, "disaggregated": True})
        db.session.flush()
        seq = db.session.scalar(select(func.max(AuditEvent.seq))
                                .where(AuditEvent.project_id == project.id))
        job = Job(kind="mail.send", project_id=project.id, state="done",
                  params_json='{"messages": []}')  # done: starting it again answers 409
        db.session.add(job)
        db.session.flush()
        objects[side] = {
            "project_id": project.id, "activity_id": project.activities[0].id,
            "line_id": project.budget_lines[0].id, "indicator_id": project.indicators[0].id,
            "document_id": _document(project).id, "seq": seq,
            "commune_id": owner_commune.id, "association_id": owner_association.id,
            "user_id": actor.id, "theme_id": theme_id, "project": project, "job_id": job.id,
        }
    return objects


