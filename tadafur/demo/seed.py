"""Demo organisations and accounts, one per role, so a new installation can be tried at once.

Idempotent: each item is looked up before it is added. Other domains (projects) add their
own demo data through `DEMO_SEEDERS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.accounts.services import hash_password
from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.organisations.models import Association, Commune, Institution, Province, Region
from tadafur.workflow import awaiting

DEMO_PASSWORD = "tadafur-demo-2026"
DEMO_SEEDERS: list[Callable[[], int]] = []


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    organisation: str  # "institution:<code>", "commune:<n>" (nth partner), "association:<n>"
    locale: str = "ar"
    civility: str | None = None  # "f"/"m": how documents address the person


DEMO_ACCOUNTS = [
    DemoAccount("admin@demo.tadafur.ma", "Salma Admin", Role.ADMIN, "institution:enabel", "fr"),
    DemoAccount("officer@demo.tadafur.ma", "Youssef Bennani", Role.PROGRAMME_OFFICER,
                "institution:enabel", "fr"),
    DemoAccount("reviewer@demo.tadafur.ma", "Nadia El Alaoui", Role.MINISTRY_REVIEWER,
                "institution:dgct"),
    DemoAccount("agent@demo.tadafur.ma", "Karim Ouazzani", Role.COMMUNE_AGENT, "commune:0"),
    DemoAccount("president@demo.tadafur.ma", "Fatima Zahra Idrissi", Role.COMMUNE_SIGNATORY,
                "commune:0", civility="f"),
    DemoAccount("member@demo.tadafur.ma", "Hamza Amrani", Role.ASSOCIATION_MEMBER,
                "association:0"),
    DemoAccount("chair@demo.tadafur.ma", "Khadija Berrada", Role.ASSOCIATION_SIGNATORY,
                "association:0", civility="f"),
]

# Two showcase partner communes per region; each gets two demo associations.
DEMO_ASSOCIATIONS = [
    ("جمعية شباب من أجل التنمية", "Association Jeunes pour le Développement"),
    ("جمعية نساء الغد", "Association Femmes de Demain"),
    ("جمعية فضاء الحوار المحلي", "Association Espace de Dialogue Local"),
    ("جمعية البيئة والمواطنة", "Association Environnement et Citoyenneté"),
]


def showcase_communes() -> list[Commune]:
    """Ten partner communes, two per programme region, in a stable order."""
    communes: list[Commune] = []
    for region in db.session.scalars(select(Region).where(Region.in_programme)
                                     .order_by(Region.code)):
        communes += db.session.scalars(
            select(Commune).join(Province).where(Province.region_id == region.id,
                                                 Commune.is_partner)
            .order_by(Commune.name_fr).limit(2))
    return communes


def seed_associations() -> list[Association]:
    associations = []
    for index, commune in enumerate(showcase_communes()):
        for offset in range(2):
            name_ar, name_fr = DEMO_ASSOCIATIONS[(index + offset) % len(DEMO_ASSOCIATIONS)]
            receipt = f"REC-{commune.id:04d}-{offset + 1}"
            existing = db.session.scalar(select(Association).where(
                Association.receipt_number == receipt))
            if existing is None:
                existing = Association(
                    name_ar=f"{name_ar} - {commune.name_ar}",
                    name_fr=f"{name_fr} - {commune.name_fr}", receipt_number=receipt,
                    founded_on=dt.date(2012 + index % 10, 1 + offset * 5, 15),
                    commune_id=commune.id, contact_name="Bureau",
                    contact_phone=f"+212 5 37 00 {index:02d} {offset:02d}")
                db.session.add(existing)
            associations.append(existing)
    db.session.flush()
    return associations


def _organisation(spec: str, communes: list[Commune],
                  associations: list[Association]) -> dict[str, int]:
    kind, _sep, key = spec.partition(":")
    if kind == "institution":
        institution = db.session.scalar(select(Institution).where(Institution.code == key))
        return {"institution_id": institution.id}
    if kind == "commune":
        return {"commune_id": communes[int(key)].id}
    return {"association_id": associations[int(key)].id}


def seed_demo() -> int:
    """Add what is missing of the demo data; return how many items were added. My tasks'
    table is recomputed once at the end (awaiting.deferred), not at each of its commits."""
    with awaiting.deferred(db.session):
        return _seed_demo()


def _seed_demo() -> int:
    communes = showcase_communes()
    associations = seed_associations()
    added = 0
    for account in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == account.email)):
            continue
        user = User(email=account.email, full_name=account.full_name, locale=account.locale,
                    civility=account.civility, password_hash=hash_password(DEMO_PASSWORD))
        user.memberships = [Membership(role=account.role.value,
                                       **_organisation(account.organisation, communes,
                                                       associations))]
        db.session.add(user)
        db.session.flush()
        record("user.created", obj=user, actor_name="system", summary="demo account",
               after={"email": user.email, "role": account.role.value})
        added += 1
    for seeder in DEMO_SEEDERS:
        added += seeder()
    return added
