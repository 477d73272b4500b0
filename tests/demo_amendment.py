"""Over the seeded demo, which has no amendment: one opened and half-signed, for the tests
that look at every page (the language sweep, the phone-width check)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.amendments import services as amendments
from tadafur.demo.seed import DEMO_PASSWORD
from tadafur.extensions import db
from tadafur.projects.models import Project


def open_an_amendment() -> int:
    """The demo has no amendment: the commune agent of a project in execution proposes one
    (a month more, 500 dirhams more on a budget line) and the commune's president signs it,
    so that the amendment's page and its History entries are swept too, half-signed."""
    project = db.session.scalar(select(Project).where(Project.state == "in_execution")
                                .order_by(Project.id).limit(1))

    def person(role: Role) -> User:
        return db.session.scalar(select(User).join(Membership).where(
            Membership.commune_id == project.commune_id, Membership.role == role.value))

    first = project.budget_lines[0]
    amendment = amendments.propose(
        person(Role.COMMUNE_AGENT), project, "Le calendrier des ateliers a glissé d'un mois.",
        amendments.Proposal(
            end_date=(project.end_date + dt.timedelta(days=30)).isoformat(),
            lines={first.id: {"amount": str(first.amount + 500)}}))
    db.session.commit()
    amendments.sign(person(Role.COMMUNE_SIGNATORY), amendment, decision="approve",
                    comment=None, password=DEMO_PASSWORD)
    db.session.commit()
    return amendment.id
