"""Demo data of the showcase, after the demo projects exist: the programme officer approves
the publication of the closed projects and of a few running ones, the associations publish
their workshop photo (consent confirmed), and one closed project is started again in another
commune. Through the real services; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.demo.seed import DEMO_SEEDERS
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tadafur.oversight.services import set_publication
from tadafur.projects import demo as projects_demo
from tadafur.projects.models import Project
from tadafur.showcase import photos, replication
from tadafur.showcase.models import PublicPhoto, Replication

PUBLISHED_STATES = ("closed", "in_execution", "final_report", "evaluation")
REPLICATED = "Conseil des enfants"


def _member_of(association_id: int, role: Role) -> User | None:
    return db.session.scalar(select(User).join(Membership).where(
        Membership.association_id == association_id, Membership.role == role.value)
        .order_by(User.id).limit(1))


def _agent_of(commune_id: int) -> User | None:
    return db.session.scalar(select(User).join(Membership).where(
        Membership.commune_id == commune_id, Membership.role == Role.COMMUNE_AGENT.value)
        .order_by(User.id).limit(1))


def seed_showcase() -> int:
    officer = db.session.scalar(select(User).where(User.email == "officer@demo.tadafur.ma"))
    if officer is None:
        return 0
    added = 0
    candidates = list(db.session.scalars(
        select(Project).where(Project.state.in_(PUBLISHED_STATES)).order_by(Project.id)))
    for project in candidates:
        if not project.publication_approved:
            set_publication(project, True, officer)
            added += 1
        if project.state != "closed":
            continue
        member = _member_of(project.lead_association_id, Role.ASSOCIATION_MEMBER)
        for attachment in db.session.scalars(select(Attachment).where(
                Attachment.project_id == project.id, Attachment.content_type == "image/jpeg")):
            if member is not None and db.session.scalar(select(PublicPhoto.id).where(
                    PublicPhoto.attachment_id == attachment.id)) is None:
                photos.publish(member, project, attachment.id, True,
                               "La salle de l'atelier de lancement")
                added += 1
    added += _replicate(candidates)
    db.session.flush()
    return added


def _replicate(candidates: list[Project]) -> int:
    source = next((p for p in candidates if p.title_fr == REPLICATED and p.state == "closed"),
                  None)
    if source is None or db.session.scalar(select(Replication.id).where(
            Replication.source_project_id == source.id)):
        return 0
    other = next((p for p in candidates if p.commune_id != source.commune_id), None)
    agent = _agent_of(other.commune_id) if other else None
    if agent is None:
        return 0
    lead = other.lead_association_id
    replication.start_from(agent, source, {"commune_id": other.commune_id,
                                           "lead_association_id": lead,
                                           "with_amounts": True})
    return 1


def register() -> None:
    """After the projects' seeder, whichever module is imported first."""

    if projects_demo.seed_projects not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(projects_demo.seed_projects)

    if seed_showcase not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_showcase)
