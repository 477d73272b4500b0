"""The project's dialogue space: messages between the partners, with @mentions of the people
of the project (notified)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Membership, Role, User
from tadafur.audit.services import record
from tadafur.core.urls import public_url
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.notifications.services import notify
from tadafur.projects.errors import ProjectError
from tadafur.projects.models import (
    Message,
    Project,
)
from tadafur.vocabulary import phrase

MENTION_LIMIT = 20


MESSAGE_MAX = 4000


def project_people(project: Project) -> list[User]:
    """Everyone who stands on a side of the project: who may be mentioned."""
    association_ids = list(project.association_ids)
    members = select(Membership.user_id).where(or_(
        (Membership.commune_id == project.commune_id)
        & Membership.role.in_([r.value for r in COMMUNE_ROLES]),
        Membership.association_id.in_(association_ids)
        & Membership.role.in_([r.value for r in ASSOCIATION_ROLES]),
        Membership.role == Role.PROGRAMME_OFFICER.value,
    ))
    return list(db.session.scalars(
        select(User).where(User.id.in_(members), User.active).order_by(User.full_name)))


def find_mentions(body: str, people: list[User]) -> list[User]:
    """Users named as @e-mail or @Full Name in `body` (case-insensitive, longest first)."""
    lowered = body.lower()
    found: list[User] = []
    for person in people:
        for token in (person.email, person.full_name):
            if not token:
                continue
            pattern = r"(?<![\w@])@" + re.escape(token.lower()) + r"(?![\w@])"
            if re.search(pattern, lowered):
                found.append(person)
                break
    return found[:MENTION_LIMIT]


def post_message(actor: User, project: Project, body: str) -> Message:
    """Add a message to the thread; people @mentioned are notified. Audited."""
    body = (body or "").strip()
    if not body:
        raise ProjectError(_("Write a message first."), "body")
    if len(body) > MESSAGE_MAX:
        raise ProjectError(_("At most %(max)d characters.", max=MESSAGE_MAX), "body")
    message = Message(project_id=project.id, author_id=actor.id, body=body,
                      created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    mentioned = [u for u in find_mentions(body, project_people(project)) if u.id != actor.id]
    record("message.posted", obj=message, project=project, actor=actor,
           summary=project.reference,
           after={"length": len(body), "mentioned": [u.id for u in mentioned]})
    if mentioned:
        _notify_mentions(actor, project, mentioned)
    return message


def _notify_mentions(actor: User, project: Project, users: list[User]) -> None:
    message = phrase("%(name)s mentioned you in the discussion of %(reference)s.",
                     name=actor.full_name, reference=project.reference)
    notify(users, "mentioned", project, message, link=discussion_link(project))


def discussion_link(project: Project) -> str | None:
    """The thread's address for the notification and its e-mail (None outside a request
    when no SERVER_NAME is configured, e.g. the demo seeding on the command line)."""

    return public_url("projects.show", project_id=project.id, tab="discussion")


def messages_of(project: Project, limit: int = 200) -> list[Message]:
    rows = db.session.scalars(
        select(Message).where(Message.project_id == project.id)
        .options(joinedload(Message.author)).order_by(Message.id.desc()).limit(limit)).all()
    return list(reversed(rows))
